#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the test VM (see vm.sh). The root is the host's, read-only: give
# the guest its own /proc, /sys, /dev and tmpfs for everything writable, run
# the command from the shared run directory, hand back its exit status,
# dmesg and a kmemleak report, then power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TERM=dumb

mount -t proc proc /proc
mount -t sysfs sys /sys
mountpoint -q /dev || mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t configfs configfs /sys/kernel/config
# devtmpfs has no /dev/fd (bash process substitution) nor /dev/std*
# (the kselftest runner logs to /dev/stdout)
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
# Keep the host root reachable at /mnt before tmpfs hides parts of it.
mount --bind / /mnt
TMPFS_DIRS="/tmp /run /var/tmp /var/lib /var/log /dev/shm"
for d in $TMPFS_DIRS; do
	mount -t tmpfs -o mode=1777 tmpfs "$d"
done
mkdir -p /run/out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /run/out
# The checkout, its build directory and the command's working directory may
# live under one of those (a clone in /tmp): show them again, read-only.
while read -r keep; do
	for d in $TMPFS_DIRS; do
		case $keep/ in
		"$d"/*)	mkdir -p "$keep" && mount --bind "/mnt$keep" "$keep" ;;
		esac
	done
done < /run/out/keep
hostname rdma-sge-vm
ip link set lo up

# The command sees a clean environment and its output goes to the console.
rc=0
bash /run/out/cmd </dev/null || rc=$?
sync

# kmemleak reports only objects older than 5 s: let the last ones age, then
# scan twice (the first scan marks, the second reports).
if [ -w /sys/kernel/debug/kmemleak ]; then
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak > /run/out/kmemleak
fi
dmesg > /run/out/dmesg
echo "$rc" > /run/out/rc
sync
# reboot: QEMU runs with -no-reboot, so this ends the VM
echo b > /proc/sysrq-trigger
sleep 10
