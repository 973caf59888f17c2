# SPDX-License-Identifier: GPL-2.0
# rdma-sge: the user-facing verbs. Each target is a thin call into scripts/.
#
#   make run            build the patched kernel, boot it, move verified data
#                       over rxe and siw, print a summary (the main job)
#   make check          every test: series, checkpatch, build, KUnit, VM tests
#
#   make setup          install the packages the tooling needs (apt)
#   make tree           create build/linux: base commit + patches/ (git am)
#   make export         write build/linux's commits back to patches/, then
#                       checkpatch the patches that changed
#   make export-check   fail when build/linux and patches/ differ
#   make quilt-check    apply the series as Debian's packaging does (quilt
#                       push -a, no fuzz) on the unpacked base tarball
#   make bisect-check   build the test kernel after every patch (build/bisect,
#                       incremental, ccache); fails naming the first patch
#                       that does not build or prints a warning;
#                       BISECT_FROM=N starts at patch N
#   make sizes-check    compile the touched files in the base and patched
#                       trees with debug info; fail when a structure grows
#                       beyond what configs/sizes-allowed.txt allows
#   make bench          the benchmarks on kernels without debugging options:
#                       the helpers' micro-benchmark, nvme-rdma fio base vs
#                       patched (scripts/bench.sh; not part of make check);
#                       BENCH=micro|nvme|profile for one part (profile:
#                       nvme-rdma under perf, the profiles compared);
#                       BENCH_BASE=REV compares against the series up to
#                       REV (a commit of build/linux) instead of the base;
#                       the VMs count instructions (QEMU -icount), not
#                       time, unless BENCH_ICOUNT=0
#   make build          configure and build the test kernel (incremental)
#   make vm CMD='...'   run CMD in the test VM (default: a shell-less smoke)
#   make clean          drop build outputs, keep the work tree
#   make distclean      drop everything under build/ (refuses unexported work)
#
#   make cleanroot      prove the set-up: make run and make check as root in a
#                       fresh clone of HEAD in a debootstrapped Debian 12
#                       minbase root (build/cleanroot; scripts/cleanroot.sh)

SHELL := /bin/bash
S := scripts

.PHONY: help run check setup tree export export-check quilt-check bisect-check \
	sizes-check bench build vm clean distclean cleanroot

help:
	@sed -n 's/^#   //p' Makefile

run:
	@$(S)/run.sh

check:
	@$(S)/check.sh

setup:
	@$(S)/setup.sh all

tree: build/linux/.git

build/linux/.git:
	@$(S)/setup.sh build
	@$(S)/tree.sh create

export: tree
	@$(S)/tree.sh export

export-check: tree
	@$(S)/tree.sh export-check

quilt-check:
	@$(S)/setup.sh build
	@$(S)/tree.sh quilt

bisect-check: tree
	@$(S)/setup.sh build
	@$(S)/build.sh config
	@$(S)/bisect.sh

sizes-check: tree
	@$(S)/setup.sh build
	@$(S)/build.sh config
	@$(S)/sizes.sh

bench: tree
	@$(S)/setup.sh all
	@$(S)/bench.sh $(BENCH)

build: tree
	@$(S)/setup.sh build
	@$(S)/build.sh kernel

CMD ?= tests/smoke.sh
vm:
	@$(S)/setup.sh test
	@$(S)/vm.sh -- $(CMD)

clean:
	rm -rf build/obj build/kunit build/vm build/bisect build/sizes build/bench
	git -C build/linux worktree prune 2>/dev/null || true

distclean:
	@if [ -d build/linux/.git ]; then $(S)/tree.sh export-check; fi
	@! findmnt -ln -o TARGET | grep -q '^$(CURDIR)/build/' || \
		{ echo "mounts under build/ (cleanroot.sh running?): not deleting" >&2; exit 1; }
	rm -rf build

cleanroot:
	@$(S)/cleanroot.sh
