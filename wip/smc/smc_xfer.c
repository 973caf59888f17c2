// SPDX-License-Identifier: GPL-2.0
/*
 * SMC-R (AF_SMC sockets over RoCE, net/smc) over one RDMA device on one
 * machine.
 *
 * Both ends of the connection are local, so the TCP connection of the SMC
 * handshake (CLC) runs over the loopback device, not over the netdev of the
 * RDMA device, and SMC only takes the RDMA device of the handshake's netdev
 * (smc_pnet_find_rdma_dev()) unless pnetids say otherwise: the test gives
 * "lo" and port 1 of IBDEV the same pnetid (SMC_PNETID family). rxe has RoCE
 * v2 GIDs only, and SMC-Rv1 wants a RoCE v1 one (smc_ib_determine_gid()):
 * SMC-Rv2 it is, which the client proposes only when there is a user EID
 * (UEID) and the server accepts only when the EIDs match: the test adds one
 * (SMC_GEN_NETLINK family). It removes both when done.
 *
 * A client and a server socket(AF_SMC, SOCK_STREAM, SMCPROTO_SMC) on ADDR
 * then move messages of 17 bytes to 1 MiB both ways at once, each with a
 * header of sequence number, length and FNV-1a-64 of the bytes that follow,
 * which the receiver checks. SMC-R, not the TCP fallback, must have carried
 * them:
 *  - each socket's TCP connection of the handshake, whose TCP_INFO an AF_SMC
 *    socket returns, moved no more than a handshake, while a fallback sends
 *    all the data over it;
 *  - the SMC-R link groups: a client and a server one, SMC-Rv2 with the
 *    test's EID, each with a link on IBDEV that carries a connection;
 *  - the SMC statistics: an SMC-Rv2 handshake on each end, SMC-R payload
 *    counted both ways, no fallback and no handshake error;
 *  - sock_diag, if the kernel has it for AF_SMC (CONFIG_SMC_DIAG): both
 *    sockets in SMC-R mode.
 *
 *   smc_xfer --probe       exit 0 if there are AF_SMC sockets and SMC's generic
 *                          netlink families, 4 if not
 *   smc_xfer IBDEV ADDR    the test: exit 0 if it passed, 2 if SMC found no
 *                          RDMA device and the connection fell back to TCP
 *                          (the data verified), 1 otherwise
 *   smc_xfer --lgrs IBDEV  print the SMC-R link groups with a link on IBDEV:
 *                          exit 0 if there are none, 1 if there are
 *   smc_xfer --cleanup     remove the test's pnetid and UEID, if there
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/smc.h>
#include <linux/smc_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#ifndef AF_SMC
#define AF_SMC		43
#endif
#define SMCPROTO_SMC	0		/* net/smc/smc.h: SMC over IPv4 */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define KSFT_SKIP	4
#define EXIT_NO_SMCR	2
#define PNETID		"RDMAKSFT"	/* of "lo" and IBDEV port 1 */
#define HS_NETDEV	"lo"		/* the handshake's netdev */
#define UEID		"RDMA-KSFT-SMC"	/* padded with blanks to SMC_MAX_EID_LEN */
#define MAX_MSG		(1024 * 1024)
#define ROUNDS		3
#define CLC_MAX		16384		/* most a handshake moves over TCP */
#define TIMEOUT_MS	60000		/* without progress */
#define LINKS_MAX	16		/* links of link groups on IBDEV that we keep */
#define PNETID_LEN	16		/* SMC_MAX_PNETID_LEN of net/smc/smc.h */
#define MAX_RSN		(2 * 36)	/* SMC_MAX_FBACK_RSN_CNT server + client */

/* SMC_CLC_DECL_* of net/smc/smc_clc.h: the fallback reasons */
#define DECL_NOSMCDEV	0x03030000
#define DECL_NOSMCRDEV	0x03030002
#define SMC_LNK_ACTIVE	3		/* enum smc_link_state of net/smc/smc_core.h */

static const struct {
	__u32 code;
	const char *name;
} reasons[] = {
	{ 0x02010000, "timeout waiting for the first link's CONFIRM LINK" },
	{ 0x03010000, "peer did not indicate SMC" },
	{ DECL_NOSMCDEV, "no SMC device found" },
	{ DECL_NOSMCRDEV, "no SMC-R device found" },
	{ 0x03030004, "peer sent no CLC v2 extension" },
	{ 0x03030008, "peer sent no UEID" },
	{ 0x03040000, "SMC modes do not match" },
	{ 0x03070000, "IP prefix / subnet mismatch" },
	{ 0x030e0000, "SMC-Rv2: no route to peer" },
	{ 0x030f0000, "SMC-Rv2: indirect mismatch" },
	{ 0x05000000, "peer declined during handshake" },
};

/*
 * Message sizes, header included: the 16-byte header and 1 byte; a page,
 * one byte less and one more; 64 KiB + 3; 256 KiB; 1 MiB. The RMB (receive
 * buffer) of a connection takes net.smc.rmem, 64 KiB by default: all but the
 * small ones wrap around it. The client sends them in this order, the
 * server in reverse.
 */
static const unsigned int sizes[] = { 17, 4095, 4096, 4097, 65539, 262144, MAX_MSG };
#define NSIZES		ARRAY_SIZE(sizes)
#define NMSGS		(ROUNDS * NSIZES)	/* each way */

struct hdr {
	__u32 seq;
	__u32 len;		/* of the whole message */
	__u64 sum;		/* FNV-1a-64 of the bytes after the header */
};

static __u64 fnv1a64(const __u8 *p, size_t n)
{
	__u64 h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* the size of message seq of direction dir (0: client to server, 1: back) */
static unsigned int msg_size(int dir, unsigned int seq)
{
	unsigned int i = seq % NSIZES;

	return sizes[dir ? NSIZES - 1 - i : i];
}

/* message seq of direction dir: header, then pseudo-random bytes (xorshift64) */
static void msg_fill(__u8 *buf, int dir, unsigned int seq)
{
	__u64 x = 0x9e3779b97f4a7c15ULL * (2 * seq + dir + 1);
	struct hdr h = { .seq = seq, .len = msg_size(dir, seq) };
	size_t i;

	for (i = sizeof(h); i < h.len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = x >> 56;
	}
	h.sum = fnv1a64(buf + sizeof(h), h.len - sizeof(h));
	memcpy(buf, &h, sizeof(h));
}

static const char *reason_name(__u32 code)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reasons); i++)
		if (reasons[i].code == code)
			return reasons[i].name;
	return "see SMC_CLC_DECL_* in net/smc/smc_clc.h";
}

/* netlink */

struct nl_req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[256];
};

static int genl_fd = -1;
static __u16 smc_family;		/* SMC_GEN_NETLINK */
static __u16 pnet_family;		/* SMC_PNETID */
static __u32 nl_seq;
static union {
	struct nlmsghdr nh;	/* aligns it */
	char buf[65536];
} rx;

static int nl_open(int proto)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Send req on fd and read the answer up to its end (ACK, error or end of
 * dump), calling cb for each message of it. Returns 0 or a negative errno:
 * the kernel's, or the first cb returned.
 */
static int nl_talk(int fd, struct nlmsghdr *req,
		   int (*cb)(const struct nlmsghdr *nh, void *arg), void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nh;
	int len, err = 0;

	req->nlmsg_seq = ++nl_seq;
	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		len = recv(fd, rx.buf, sizeof(rx.buf), 0);
		if (len < 0)
			return -errno;
		for (nh = &rx.nh; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				return err ? err : e->error;
			}
			if (nh->nlmsg_type == NLMSG_DONE) {
				if (!err && nh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&err, NLMSG_DATA(nh), sizeof(int));
				return err;
			}
			if (!err && cb)
				err = cb(nh, arg);
		}
	}
}

static void genl_req(struct nl_req *r, __u16 family, __u8 cmd, __u16 flags)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nh.nlmsg_type = family;
	r->nh.nlmsg_flags = NLM_F_REQUEST | flags;
	r->gh.cmd = cmd;
	r->gh.version = 1;
}

static void req_put(struct nl_req *r, __u16 type, const void *data, int len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void req_put_str(struct nl_req *r, __u16 type, const char *s)
{
	req_put(r, type, s, strlen(s) + 1);
}

static const void *attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

/* the attributes in data by type into tb[0..max]: the last one of each type */
static void attr_parse(const struct nlattr **tb, int max, const void *data, int len)
{
	const struct nlattr *a = data;
	int type;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
		type = a->nla_type & NLA_TYPE_MASK;
		if (type <= max)
			tb[type] = a;
		len -= NLA_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
}

static void attr_nested(const struct nlattr **tb, int max, const struct nlattr *nest)
{
	if (nest)
		attr_parse(tb, max, attr_data(nest), nest->nla_len - NLA_HDRLEN);
	else
		memset(tb, 0, (max + 1) * sizeof(*tb));
}

/* the top level attributes of the generic netlink message nh */
static void genl_parse(const struct nlattr **tb, int max, const struct nlmsghdr *nh)
{
	attr_parse(tb, max, (const char *)NLMSG_DATA(nh) + GENL_HDRLEN,
		   nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
}

/* the value of the integer attribute a of size bytes; 0 if a is missing */
static __u64 attr_uint(const struct nlattr *a, size_t size)
{
	__u64 v64 = 0;
	__u32 v32 = 0;
	__u16 v16 = 0;
	__u8 v8 = 0;

	if (!a || a->nla_len < NLA_HDRLEN + size)
		return 0;
	switch (size) {
	case 8:
		memcpy(&v64, attr_data(a), 8);
		return v64;
	case 4:
		memcpy(&v32, attr_data(a), 4);
		return v32;
	case 2:
		memcpy(&v16, attr_data(a), 2);
		return v16;
	default:
		memcpy(&v8, attr_data(a), 1);
		return v8;
	}
}

/* the string attribute a into buf of size n; "" if a is missing */
static void attr_str(char *buf, size_t n, const struct nlattr *a)
{
	size_t len = a ? a->nla_len - NLA_HDRLEN : 0;

	if (len >= n)
		len = n - 1;
	if (len)
		memcpy(buf, attr_data(a), len);
	buf[len] = 0;
	/* pnetids and EIDs are padded with blanks */
	while (len && (buf[len - 1] == ' ' || !buf[len - 1]))
		buf[--len] = 0;
}

static int family_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[CTRL_ATTR_FAMILY_NAME + 1];

	genl_parse(tb, CTRL_ATTR_FAMILY_NAME, nh);
	if (tb[CTRL_ATTR_FAMILY_ID])
		*(__u16 *)arg = attr_uint(tb[CTRL_ATTR_FAMILY_ID], 2);
	return 0;
}

/* the id of the generic netlink family name, 0 if there is none */
static __u16 genl_family(const char *name)
{
	struct nl_req r;
	__u16 id = 0;

	genl_req(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	req_put_str(&r, CTRL_ATTR_FAMILY_NAME, name);
	if (nl_talk(genl_fd, &r.nh, family_cb, &id))
		return 0;
	return id;
}

static int smc_netlink_open(void)
{
	genl_fd = nl_open(NETLINK_GENERIC);
	if (genl_fd < 0) {
		printf("generic netlink socket: %s\n", strerror(errno));
		return -1;
	}
	smc_family = genl_family(SMC_GENL_FAMILY_NAME);
	pnet_family = genl_family(SMCR_GENL_FAMILY_NAME);
	if (smc_family && pnet_family)
		return 0;
	printf("no generic netlink family %s\n",
	       smc_family ? SMCR_GENL_FAMILY_NAME : SMC_GENL_FAMILY_NAME);
	return -1;
}

/* UEID and pnetid */

/* add (SMC_NETLINK_ADD_UEID) or remove (..._REMOVE_UEID) the test's UEID */
static int ueid_cmd(__u8 cmd)
{
	char eid[SMC_MAX_EID_LEN + 1];
	struct nl_req r;

	/* SMC_MAX_EID_LEN characters and a NUL: smc_nl_add_ueid() */
	snprintf(eid, sizeof(eid), "%-*s", SMC_MAX_EID_LEN, UEID);
	genl_req(&r, smc_family, cmd, NLM_F_ACK);
	req_put(&r, SMC_NLA_EID_TABLE_ENTRY, eid, sizeof(eid));
	return nl_talk(genl_fd, &r.nh, NULL, NULL);
}

static int ueid_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[SMC_NLA_EID_TABLE_MAX + 1];
	char eid[SMC_MAX_EID_LEN + 1];

	genl_parse(tb, SMC_NLA_EID_TABLE_MAX, nh);
	attr_str(eid, sizeof(eid), tb[SMC_NLA_EID_TABLE_ENTRY]);
	printf("%s\"%s\"", *(int *)arg ? ", " : "", eid);
	(*(int *)arg)++;
	return 0;
}

static void ueid_show(void)
{
	struct nl_req r;
	int n = 0;

	printf("UEIDs: ");
	genl_req(&r, smc_family, SMC_NETLINK_DUMP_UEID, NLM_F_DUMP);
	nl_talk(genl_fd, &r.nh, ueid_cb, &n);
	printf("%s\n", n ? "" : "none");
}

struct pnet_entry {
	char name[PNETID_LEN + 1];
	char eth[32];
	char ib[64];
	int port;
};

struct pnet_table {
	int n;
	struct pnet_entry e[32];
};

static int pnet_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[SMC_PNETID_MAX + 1];
	struct pnet_table *t = arg;
	struct pnet_entry *e;

	if (t->n == ARRAY_SIZE(t->e))
		return 0;
	e = &t->e[t->n++];
	genl_parse(tb, SMC_PNETID_MAX, nh);
	attr_str(e->name, sizeof(e->name), tb[SMC_PNETID_NAME]);
	attr_str(e->eth, sizeof(e->eth), tb[SMC_PNETID_ETHNAME]);
	attr_str(e->ib, sizeof(e->ib), tb[SMC_PNETID_IBNAME]);
	e->port = attr_uint(tb[SMC_PNETID_IBPORT], 1);
	return 0;
}

static int pnet_get(struct pnet_table *t)
{
	struct nl_req r;

	t->n = 0;
	genl_req(&r, pnet_family, SMC_PNETID_GET, NLM_F_DUMP);
	return nl_talk(genl_fd, &r.nh, pnet_cb, t);
}

static void pnet_show(void)
{
	struct pnet_table t;
	int i;

	printf("pnet table:");
	if (pnet_get(&t) || !t.n)
		printf(" empty");
	for (i = 0; i < t.n; i++) {
		if (strcmp(t.e[i].eth, "n/a"))
			printf("%s %s: netdev %s", i ? ";" : "", t.e[i].name, t.e[i].eth);
		else
			printf("%s %s: %s port %d", i ? ";" : "", t.e[i].name, t.e[i].ib,
			       t.e[i].port);
	}
	printf("\n");
}

/* the pnet table entry of netdev eth (or else IB device ib), if there is one */
static struct pnet_entry *pnet_find(struct pnet_table *t, const char *eth, const char *ib)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (eth ? !strcmp(t->e[i].eth, eth) : !strcmp(t->e[i].ib, ib))
			return &t->e[i];
	return NULL;
}

/* remove the test's pnetid from the pnet table and from the devices */
static int pnet_del(void)
{
	struct nl_req r;

	genl_req(&r, pnet_family, SMC_PNETID_DEL, NLM_F_ACK);
	req_put_str(&r, SMC_PNETID_NAME, PNETID);
	return nl_talk(genl_fd, &r.nh, NULL, NULL);
}

/* the test's pnetid for the netdev eth or port 1 of the IB device ib */
static int pnet_add(const char *eth, const char *ib)
{
	struct nl_req r;
	__u8 port = 1;
	int err;

	genl_req(&r, pnet_family, SMC_PNETID_ADD, NLM_F_ACK);
	req_put_str(&r, SMC_PNETID_NAME, PNETID);
	if (eth) {
		req_put_str(&r, SMC_PNETID_ETHNAME, eth);
	} else {
		req_put_str(&r, SMC_PNETID_IBNAME, ib);
		req_put(&r, SMC_PNETID_IBPORT, &port, 1);
	}
	err = nl_talk(genl_fd, &r.nh, NULL, NULL);
	if (err)
		printf("pnetid %s for %s: %s\n", PNETID, eth ? eth : ib, strerror(-err));
	return err;
}

/*
 * The handshake's netdev and port 1 of ibdev get the test's pnetid. Fails,
 * leaving the table as it was, if either has another pnetid already.
 */
static int pnet_setup(const char *ibdev)
{
	struct pnet_entry *e[2];
	struct pnet_table t;

	if (pnet_get(&t)) {
		printf("cannot read the pnet table\n");
		return -1;
	}
	e[0] = pnet_find(&t, HS_NETDEV, NULL);
	e[1] = pnet_find(&t, NULL, ibdev);
	if ((e[0] && strcmp(e[0]->name, PNETID)) || (e[1] && strcmp(e[1]->name, PNETID))) {
		pnet_show();
		printf("%s or %s has a pnetid already\n", HS_NETDEV, ibdev);
		return -1;
	}
	pnet_del();	/* what a run that was killed left */
	if (pnet_add(HS_NETDEV, NULL) || pnet_add(NULL, ibdev)) {
		pnet_del();
		return -1;
	}
	pnet_show();
	return 0;
}

/* SMC statistics and fallback reasons of the network namespace */

struct fback {
	__u8 srv;
	__u32 code;
	__u64 cnt;
};

struct smc_counts {
	__u64 clnt_v1, clnt_v2, srv_v1, srv_v2;	/* SMC-R handshakes */
	__u64 rx_bytes, tx_bytes;		/* SMC-R payload */
	__u64 clnt_hs_err, srv_hs_err;
	__u64 fb_clnt, fb_srv;			/* fallbacks */
	int nrsn;
	struct fback rsn[MAX_RSN];
};

static int stats_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[SMC_GEN_MAX + 1], *st[SMC_NLA_STATS_MAX + 1];
	const struct nlattr *t[SMC_NLA_STATS_T_MAX + 1];
	struct smc_counts *c = arg;

	genl_parse(tb, SMC_GEN_MAX, nh);
	attr_nested(st, SMC_NLA_STATS_MAX, tb[SMC_GEN_STATS]);
	attr_nested(t, SMC_NLA_STATS_T_MAX, st[SMC_NLA_STATS_SMCR_TECH]);
	c->clnt_v1 = attr_uint(t[SMC_NLA_STATS_T_CLNT_V1_SUCC], 8);
	c->clnt_v2 = attr_uint(t[SMC_NLA_STATS_T_CLNT_V2_SUCC], 8);
	c->srv_v1 = attr_uint(t[SMC_NLA_STATS_T_SRV_V1_SUCC], 8);
	c->srv_v2 = attr_uint(t[SMC_NLA_STATS_T_SRV_V2_SUCC], 8);
	c->rx_bytes = attr_uint(t[SMC_NLA_STATS_T_RX_BYTES], 8);
	c->tx_bytes = attr_uint(t[SMC_NLA_STATS_T_TX_BYTES], 8);
	c->clnt_hs_err = attr_uint(st[SMC_NLA_STATS_CLNT_HS_ERR_CNT], 8);
	c->srv_hs_err = attr_uint(st[SMC_NLA_STATS_SRV_HS_ERR_CNT], 8);
	return 0;
}

static int fback_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[SMC_GEN_MAX + 1], *f[SMC_NLA_FBACK_STATS_MAX + 1];
	struct smc_counts *c = arg;

	genl_parse(tb, SMC_GEN_MAX, nh);
	attr_nested(f, SMC_NLA_FBACK_STATS_MAX, tb[SMC_GEN_FBACK_STATS]);
	/* the totals come with the first reason only */
	if (f[SMC_NLA_FBACK_STATS_SRV_CNT])
		c->fb_srv = attr_uint(f[SMC_NLA_FBACK_STATS_SRV_CNT], 8);
	if (f[SMC_NLA_FBACK_STATS_CLNT_CNT])
		c->fb_clnt = attr_uint(f[SMC_NLA_FBACK_STATS_CLNT_CNT], 8);
	if (f[SMC_NLA_FBACK_STATS_RSN_CODE] && c->nrsn < MAX_RSN) {
		c->rsn[c->nrsn].srv = attr_uint(f[SMC_NLA_FBACK_STATS_TYPE], 1);
		c->rsn[c->nrsn].code = attr_uint(f[SMC_NLA_FBACK_STATS_RSN_CODE], 4);
		c->rsn[c->nrsn].cnt = attr_uint(f[SMC_NLA_FBACK_STATS_RSN_CNT], 2);
		c->nrsn++;
	}
	return 0;
}

static int counts_get(struct smc_counts *c)
{
	struct nl_req r;
	int err;

	memset(c, 0, sizeof(*c));
	genl_req(&r, smc_family, SMC_NETLINK_GET_STATS, NLM_F_DUMP);
	err = nl_talk(genl_fd, &r.nh, stats_cb, c);
	if (!err) {
		genl_req(&r, smc_family, SMC_NETLINK_GET_FBACK_STATS, NLM_F_DUMP);
		err = nl_talk(genl_fd, &r.nh, fback_cb, c);
	}
	if (err)
		printf("SMC statistics: %s\n", strerror(-err));
	return err;
}

/*
 * Print the fallbacks counted since c0 with their reasons. Returns the number
 * of client fallbacks for lack of an SMC device.
 */
static __u64 fback_show(const struct smc_counts *c0, const struct smc_counts *c1)
{
	__u64 n, ret = 0;
	int i, j;

	printf("fallbacks: client +%llu, server +%llu\n",
	       (unsigned long long)(c1->fb_clnt - c0->fb_clnt),
	       (unsigned long long)(c1->fb_srv - c0->fb_srv));
	for (i = 0; i < c1->nrsn; i++) {
		n = c1->rsn[i].cnt;
		for (j = 0; j < c0->nrsn; j++)
			if (c0->rsn[j].srv == c1->rsn[i].srv && c0->rsn[j].code == c1->rsn[i].code)
				n -= c0->rsn[j].cnt;
		if (!n)
			continue;
		printf("  %s: +%llu with reason 0x%08x (%s)\n",
		       c1->rsn[i].srv ? "server" : "client", (unsigned long long)n,
		       c1->rsn[i].code, reason_name(c1->rsn[i].code));
		if (!c1->rsn[i].srv &&
		    (c1->rsn[i].code == DECL_NOSMCDEV || c1->rsn[i].code == DECL_NOSMCRDEV))
			ret += n;
	}
	return ret;
}

/* SMC-R link groups and their links */

struct smc_link_info {
	__u32 lgr_id;
	__u8 role;			/* SMC_CLNT 0, SMC_SERV 1 */
	__u8 version;			/* SMC-R version of the link group */
	__u32 lgr_conns;
	char eid[SMC_MAX_EID_LEN + 1];
	char pnetid[PNETID_LEN + 1];
	char ibdev[64];
	__u8 port;
	__u32 state, conns;
	char gid[48], peer_gid[48];
};

struct link_dump {
	const char *ibdev;
	struct smc_link_info lgr;	/* the link group of the links that follow */
	int n;
	struct smc_link_info l[LINKS_MAX];
};

static int link_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[SMC_GEN_MAX + 1], *a[SMC_NLA_LGR_R_MAX + 1];
	const struct nlattr *v2[SMC_NLA_LGR_V2_MAX + 1], *k[SMC_NLA_LINK_MAX + 1];
	struct link_dump *d = arg;
	struct smc_link_info *l;

	genl_parse(tb, SMC_GEN_MAX, nh);
	if (tb[SMC_GEN_LGR_SMCR]) {
		attr_nested(a, SMC_NLA_LGR_R_MAX, tb[SMC_GEN_LGR_SMCR]);
		memset(&d->lgr, 0, sizeof(d->lgr));
		d->lgr.lgr_id = attr_uint(a[SMC_NLA_LGR_R_ID], 4);
		d->lgr.role = attr_uint(a[SMC_NLA_LGR_R_ROLE], 1);
		d->lgr.lgr_conns = attr_uint(a[SMC_NLA_LGR_R_CONNS_NUM], 4);
		attr_str(d->lgr.pnetid, sizeof(d->lgr.pnetid), a[SMC_NLA_LGR_R_PNETID]);
		d->lgr.version = 1;
		if (a[SMC_NLA_LGR_R_V2_COMMON]) {
			attr_nested(v2, SMC_NLA_LGR_V2_MAX, a[SMC_NLA_LGR_R_V2_COMMON]);
			d->lgr.version = attr_uint(v2[SMC_NLA_LGR_V2_VER], 1);
			attr_str(d->lgr.eid, sizeof(d->lgr.eid), v2[SMC_NLA_LGR_V2_NEG_EID]);
		}
		return 0;
	}
	if (!tb[SMC_GEN_LINK_SMCR] || d->n == LINKS_MAX)
		return 0;
	attr_nested(k, SMC_NLA_LINK_MAX, tb[SMC_GEN_LINK_SMCR]);
	l = &d->l[d->n];
	*l = d->lgr;
	attr_str(l->ibdev, sizeof(l->ibdev), k[SMC_NLA_LINK_IB_DEV]);
	if (strcmp(l->ibdev, d->ibdev))
		return 0;
	l->port = attr_uint(k[SMC_NLA_LINK_IB_PORT], 1);
	l->state = attr_uint(k[SMC_NLA_LINK_STATE], 4);
	l->conns = attr_uint(k[SMC_NLA_LINK_CONN_CNT], 4);
	attr_str(l->gid, sizeof(l->gid), k[SMC_NLA_LINK_GID]);
	attr_str(l->peer_gid, sizeof(l->peer_gid), k[SMC_NLA_LINK_PEER_GID]);
	d->n++;
	return 0;
}

/* the links of SMC-R link groups on ibdev into d; prints them if print */
static int links_get(const char *ibdev, struct link_dump *d, int print)
{
	struct nl_req r;
	int i, err;

	memset(d, 0, sizeof(*d));
	d->ibdev = ibdev;
	genl_req(&r, smc_family, SMC_NETLINK_GET_LINK_SMCR, NLM_F_DUMP);
	err = nl_talk(genl_fd, &r.nh, link_cb, d);
	if (err) {
		printf("SMC-R link groups: %s\n", strerror(-err));
		return err;
	}
	for (i = 0; i < d->n && print; i++) {
		struct smc_link_info *l = &d->l[i];

		printf("%s link group %08x: SMC-Rv%u, EID \"%s\", pnetid %s, %u connections\n",
		       l->role ? "server" : "client", l->lgr_id, l->version, l->eid, l->pnetid,
		       l->lgr_conns);
		printf("  link on %s port %u, %s, %u connections, GID %s -> %s\n",
		       l->ibdev, l->port, l->state == SMC_LNK_ACTIVE ? "active" : "not active",
		       l->conns, l->gid, l->peer_gid);
	}
	return 0;
}

/* sock_diag of AF_SMC (CONFIG_SMC_DIAG) */

struct diag_sock {
	__u64 ino;
	int mode;			/* SMC_DIAG_MODE_*, -1 if not seen */
	__u32 reason;			/* fallback reason */
};

static int diag_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct smc_diag_msg *m = NLMSG_DATA(nh);
	const struct nlattr *tb[SMC_DIAG_MAX + 1];
	struct diag_sock *s = arg;
	struct smc_diag_fallback fb;
	int i;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return 0;
	attr_parse(tb, SMC_DIAG_MAX, (const char *)m + NLMSG_ALIGN(sizeof(*m)),
		   nh->nlmsg_len - NLMSG_SPACE(sizeof(*m)));
	for (i = 0; i < 2; i++) {
		if (m->diag_inode != s[i].ino)
			continue;
		s[i].mode = m->diag_mode;
		if (tb[SMC_DIAG_FALLBACK] &&
		    tb[SMC_DIAG_FALLBACK]->nla_len >= NLA_HDRLEN + sizeof(fb)) {
			memcpy(&fb, attr_data(tb[SMC_DIAG_FALLBACK]), sizeof(fb));
			s[i].reason = fb.reason;
		}
	}
	return 0;
}

/*
 * The SMC mode of the sockets of s[0] and s[1] (their inodes). Returns 0,
 * 1 if the kernel has no sock_diag for AF_SMC, -1 on other errors.
 */
static int diag_get(struct diag_sock *s)
{
	struct {
		struct nlmsghdr nh;
		struct smc_diag_req req;
	} r = {
		.nh = {
			.nlmsg_len = sizeof(r),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.req.diag_family = AF_SMC,
	};
	int fd = nl_open(NETLINK_SOCK_DIAG), err;

	if (fd < 0) {
		printf("sock_diag socket: %s\n", strerror(errno));
		return -1;
	}
	s[0].mode = -1;
	s[1].mode = -1;
	err = nl_talk(fd, &r.nh, diag_cb, s);
	close(fd);
	if (err == -ENOENT) {
		printf("sock_diag: no AF_SMC handler (ENOENT): no CONFIG_SMC_DIAG\n");
		return 1;
	}
	if (err) {
		printf("sock_diag of AF_SMC: %s\n", strerror(-err));
		return -1;
	}
	return 0;
}

/* the data */

struct stream {
	const char *name;
	int fd;
	int dir;		/* 0: client to server, 1: server to client */
	unsigned int seq;	/* the message being sent or received */
	unsigned int off;	/* how much of it */
	__u64 bytes;
	__u8 *buf;
};

/* send what fd takes of the stream; 1 if it took some, 0 if none, -1 on error */
static int stream_send(struct stream *s)
{
	unsigned int len;
	ssize_t n;

	if (s->seq == NMSGS)
		return 0;
	len = msg_size(s->dir, s->seq);
	if (!s->off)
		msg_fill(s->buf, s->dir, s->seq);
	n = send(s->fd, s->buf + s->off, len - s->off, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0) {
		printf("%s: send of message %u: %s\n", s->name, s->seq,
		       n ? strerror(errno) : "sent nothing");
		return -1;
	}
	s->off += n;
	s->bytes += n;
	if (s->off == len) {
		s->seq++;
		s->off = 0;
	}
	return 1;
}

/* receive what fd has of the stream and check each message received whole */
static int stream_recv(struct stream *s)
{
	unsigned int want;
	struct hdr h;
	ssize_t n;
	__u64 sum;

	if (s->seq == NMSGS)
		return 0;
	want = msg_size(s->dir, s->seq);
	n = recv(s->fd, s->buf + s->off, want - s->off, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0) {
		printf("%s: receive of message %u: %s\n", s->name, s->seq,
		       n ? strerror(errno) : "end of stream");
		return -1;
	}
	s->off += n;
	s->bytes += n;
	if (s->off < want)
		return 1;
	memcpy(&h, s->buf, sizeof(h));
	sum = fnv1a64(s->buf + sizeof(h), want - sizeof(h));
	if (h.seq != s->seq || h.len != want || h.sum != sum) {
		printf("%s: want message %u of %u bytes, got header seq %u len %u\n",
		       s->name, s->seq, want, h.seq, h.len);
		printf("  fnv1a64 in the header %016llx\n", (unsigned long long)h.sum);
		printf("  fnv1a64 of the bytes received %016llx\n", (unsigned long long)sum);
		return -1;
	}
	s->seq++;
	s->off = 0;
	return 1;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* all messages both ways at once, without blocking: 0 if all were verified */
static int xfer(int cfd, int sfd)
{
	struct stream st[4] = {
		{ .name = "client -> server: client", .fd = cfd, .dir = 0 },
		{ .name = "client -> server: server", .fd = sfd, .dir = 0 },
		{ .name = "server -> client: server", .fd = sfd, .dir = 1 },
		{ .name = "server -> client: client", .fd = cfd, .dir = 1 },
	};
	struct pollfd pfd[2] = { { .fd = cfd }, { .fd = sfd } };
	struct timespec t0, last;
	int i, p, progress, ret = -1;
	long ms;

	for (i = 0; i < 4; i++) {
		st[i].buf = malloc(MAX_MSG);
		if (!st[i].buf)
			goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	last = t0;
	while (st[0].seq < NMSGS || st[1].seq < NMSGS || st[2].seq < NMSGS ||
	       st[3].seq < NMSGS) {
		progress = 0;
		for (i = 0; i < 4; i++) {
			p = i % 2 ? stream_recv(&st[i]) : stream_send(&st[i]);
			if (p < 0)
				goto out;
			progress |= p;
		}
		if (progress) {
			clock_gettime(CLOCK_MONOTONIC, &last);
			continue;
		}
		if (ms_since(&last) > TIMEOUT_MS) {
			printf("no progress for %d s\n", TIMEOUT_MS / 1000);
			for (i = 0; i < 4; i++)
				printf("  %s: message %u, %u bytes of it\n", st[i].name,
				       st[i].seq, st[i].off);
			goto out;
		}
		/* wait for what a direction not done yet waits for */
		pfd[0].events = (st[0].seq < NMSGS ? POLLOUT : 0) |
				(st[3].seq < NMSGS ? POLLIN : 0);
		pfd[1].events = (st[1].seq < NMSGS ? POLLIN : 0) |
				(st[2].seq < NMSGS ? POLLOUT : 0);
		poll(pfd, 2, 100);
	}
	ms = ms_since(&t0);
	printf("client -> server: %d rounds of", ROUNDS);
	for (i = 0; i < (int)NSIZES; i++)
		printf(" %u", sizes[i]);
	printf(" bytes; server -> client: the same in reverse order\n");
	printf("%zu messages, %llu bytes each way in %ld ms:", NMSGS,
	       (unsigned long long)st[1].bytes, ms);
	printf(" length, sequence, FNV-1a-64 verified\n");
	ret = 0;
out:
	for (i = 0; i < 4; i++)
		free(st[i].buf);
	return ret;
}

/* the bytes the TCP connection of the handshake of AF_SMC socket fd moved */
static int tcp_bytes(int fd, const char *name, __u64 *sent, __u64 *rcvd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len)) {
		printf("%s: TCP_INFO: %s\n", name, strerror(errno));
		return -1;
	}
	if (len < offsetof(struct tcp_info, tcpi_bytes_sent) + sizeof(__u64)) {
		printf("%s: TCP_INFO of %u bytes, without tcpi_bytes_sent\n", name, len);
		return -1;
	}
	*sent = ti.tcpi_bytes_sent;
	*rcvd = ti.tcpi_bytes_received;
	printf("%s: its TCP connection moved %llu bytes out, %llu in\n", name,
	       (unsigned long long)*sent, (unsigned long long)*rcvd);
	return 0;
}

static __u64 total_bytes(int dir)
{
	__u64 n = 0;
	unsigned int i;

	for (i = 0; i < NMSGS; i++)
		n += msg_size(dir, i);
	return n;
}

/* the SMC-R evidence of the connection of cfd and sfd over ibdev: 0 if all is there */
static int check_smcr(const char *ibdev, int cfd, int sfd, const struct smc_counts *c0,
		      int *fell_back)
{
	__u64 bytes = total_bytes(0), out[2], in[2];
	struct diag_sock ds[2] = { { 0 } };
	const char *name[2] = { "client", "server" };
	int i, fd[2] = { cfd, sfd }, ok = 1, tcp = 0, role[2] = { 0 }, r;
	struct smc_counts c1;
	struct link_dump d;
	struct stat sb;

	/* each socket: its TCP connection moved a handshake, not the data */
	for (i = 0; i < 2; i++) {
		if (tcp_bytes(fd[i], name[i], &out[i], &in[i])) {
			ok = 0;
			continue;
		}
		if (in[i] >= bytes)
			tcp++;
		if (out[i] > CLC_MAX || in[i] > CLC_MAX)
			ok = 0;
	}
	*fell_back = tcp == 2;
	if (*fell_back) {
		printf("the data went over TCP: both sockets fell back\n");
	} else if (!ok) {
		printf("want at most %d bytes each way over TCP (the handshake),", CLC_MAX);
		printf(" not the %llu bytes of the data\n", (unsigned long long)bytes);
	}

	/* sock_diag, if there is one for AF_SMC */
	for (i = 0; i < 2; i++)
		if (!fstat(fd[i], &sb))
			ds[i].ino = sb.st_ino;
	r = diag_get(ds);
	for (i = 0; i < 2 && !r; i++) {
		printf("%s: sock_diag mode %d (%s), fallback reason 0x%08x\n", name[i],
		       ds[i].mode, ds[i].mode == SMC_DIAG_MODE_SMCR ? "SMC-R" :
		       ds[i].mode == SMC_DIAG_MODE_FALLBACK_TCP ? "TCP fallback" :
		       ds[i].mode < 0 ? "socket not found" : "SMC-D", ds[i].reason);
		if (ds[i].mode != SMC_DIAG_MODE_SMCR)
			ok = 0;
	}
	if (r < 0)
		ok = 0;

	/* a client and a server link group, SMC-Rv2, a link each on ibdev */
	if (links_get(ibdev, &d, 1))
		ok = 0;
	for (i = 0; i < d.n; i++) {
		struct smc_link_info *l = &d.l[i];

		if (l->role < 2 && l->version == 2 && !strcmp(l->eid, UEID) && l->port == 1 &&
		    l->state == SMC_LNK_ACTIVE && l->conns > 0)
			role[l->role] = 1;
	}
	if (!role[0] || !role[1]) {
		printf("want a client and a server link group, SMC-Rv2 with EID \"%s\",", UEID);
		printf(" with an active link on %s port 1 carrying a connection\n", ibdev);
		ok = 0;
	}

	/* the statistics of the network namespace */
	if (counts_get(&c1))
		return -1;
	printf("SMC-R statistics: handshakes client v1 +%llu v2 +%llu, server v1 +%llu v2 +%llu;",
	       (unsigned long long)(c1.clnt_v1 - c0->clnt_v1),
	       (unsigned long long)(c1.clnt_v2 - c0->clnt_v2),
	       (unsigned long long)(c1.srv_v1 - c0->srv_v1),
	       (unsigned long long)(c1.srv_v2 - c0->srv_v2));
	printf(" payload +%llu bytes sent, +%llu received\n",
	       (unsigned long long)(c1.tx_bytes - c0->tx_bytes),
	       (unsigned long long)(c1.rx_bytes - c0->rx_bytes));
	printf("handshake errors: client +%llu, server +%llu\n",
	       (unsigned long long)(c1.clnt_hs_err - c0->clnt_hs_err),
	       (unsigned long long)(c1.srv_hs_err - c0->srv_hs_err));
	/* a fallback for lack of an SMC device: exit 2 */
	if (!fback_show(c0, &c1))
		*fell_back = 0;
	if (c1.clnt_v2 == c0->clnt_v2 || c1.srv_v2 == c0->srv_v2 ||
	    c1.tx_bytes - c0->tx_bytes < 2 * bytes || c1.rx_bytes - c0->rx_bytes < 2 * bytes ||
	    c1.fb_clnt != c0->fb_clnt || c1.fb_srv != c0->fb_srv ||
	    c1.clnt_hs_err != c0->clnt_hs_err || c1.srv_hs_err != c0->srv_hs_err) {
		printf("want an SMC-Rv2 handshake on each end, at least %llu bytes of SMC-R",
		       (unsigned long long)(2 * bytes));
		printf(" payload sent and received, no fallback, no handshake error\n");
		ok = 0;
	}
	return ok ? 0 : -1;
}

static int smc_socket(void)
{
	int fd = socket(AF_SMC, SOCK_STREAM, SMCPROTO_SMC);

	if (fd < 0)
		printf("socket(AF_SMC, SOCK_STREAM, SMCPROTO_SMC): %s\n", strerror(errno));
	return fd;
}

static int test(const char *ibdev, struct in_addr addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = addr };
	int lfd = -1, cfd = -1, sfd = -1, ueid_added = 0, fell_back = 0, err, ret = 1;
	int data_ok, smcr;
	socklen_t len = sizeof(sa);
	struct smc_counts c0;

	if (smc_netlink_open())
		return 1;
	err = ueid_cmd(SMC_NETLINK_ADD_UEID);
	if (err && err != -EEXIST) {
		printf("adding the UEID \"%s\": %s\n", UEID, strerror(-err));
		return 1;
	}
	ueid_added = !err;
	ueid_show();
	if (pnet_setup(ibdev))
		goto out;
	if (counts_get(&c0))
		goto out;

	lfd = smc_socket();
	if (lfd < 0)
		goto out;
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len)) {
		printf("server on %s: %s\n", inet_ntoa(addr), strerror(errno));
		goto out;
	}
	cfd = smc_socket();
	if (cfd < 0)
		goto out;
	/* SMC's listen worker does the server's handshake before accept() */
	if (connect(cfd, (struct sockaddr *)&sa, sizeof(sa))) {
		printf("connect to %s:%u: %s\n", inet_ntoa(addr), ntohs(sa.sin_port),
		       strerror(errno));
		goto out;
	}
	sfd = accept(lfd, NULL, NULL);
	if (sfd < 0) {
		printf("accept: %s\n", strerror(errno));
		goto out;
	}
	printf("AF_SMC client connected to the server on %s:%u\n", inet_ntoa(addr),
	       ntohs(sa.sin_port));
	/* the evidence even when the data is wrong: what carried it? */
	data_ok = !xfer(cfd, sfd);
	smcr = !check_smcr(ibdev, cfd, sfd, &c0, &fell_back);
	if (data_ok && smcr) {
		printf("SMC-R carried the data over %s\n", ibdev);
		ret = 0;
	} else if (data_ok && fell_back) {
		printf("SMC found no RDMA device: the connection fell back to TCP\n");
		ret = EXIT_NO_SMCR;
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (cfd >= 0)
		close(cfd);
	if (lfd >= 0)
		close(lfd);
	pnet_del();
	if (ueid_added && ueid_cmd(SMC_NETLINK_REMOVE_UEID)) {
		printf("cannot remove the UEID\n");
		ret = 1;
	}
	return ret;
}

/* --lgrs: print the SMC-R link groups with a link on ibdev; 0 if there are none */
static int lgrs(const char *ibdev)
{
	struct link_dump d;

	if (smc_netlink_open() || links_get(ibdev, &d, 1))
		return 1;
	if (d.n)
		return 1;
	printf("no SMC-R link group has a link on %s\n", ibdev);
	return 0;
}

/* --cleanup: the test's pnetid and UEID */
static int cleanup(void)
{
	int err;

	if (smc_netlink_open())
		return 1;
	err = pnet_del();
	if (!err)
		printf("removed pnetid %s\n", PNETID);
	else if (err != -ENOENT)
		printf("removing pnetid %s: %s\n", PNETID, strerror(-err));
	err = ueid_cmd(SMC_NETLINK_REMOVE_UEID);
	if (!err)
		printf("removed UEID \"%s\"\n", UEID);
	else if (err != -ENOENT)
		printf("removing UEID \"%s\": %s\n", UEID, strerror(-err));
	return 0;
}

int main(int argc, char **argv)
{
	struct in_addr addr;
	int fd, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "--probe")) {
		fd = socket(AF_SMC, SOCK_STREAM, SMCPROTO_SMC);
		if (fd < 0) {
			err = errno;
			printf("AF_SMC socket: %s%s\n", strerror(err),
			       err == EAFNOSUPPORT ? " (no CONFIG_SMC)" : "");
			return err == EAFNOSUPPORT ? KSFT_SKIP : 1;
		}
		close(fd);
		return smc_netlink_open() ? KSFT_SKIP : 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--cleanup"))
		return cleanup();
	if (argc == 3 && !strcmp(argv[1], "--lgrs"))
		return lgrs(argv[2]);
	if (argc == 3 && inet_aton(argv[2], &addr))
		return test(argv[1], addr);
	fprintf(stderr, "usage: %s --probe | IBDEV ADDR | --lgrs IBDEV | --cleanup\n", argv[0]);
	return 1;
}
