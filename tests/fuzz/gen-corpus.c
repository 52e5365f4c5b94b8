// SPDX-License-Identifier: GPL-2.0-only
/*
 * gen-corpus: write the seed inputs of fuzz-vas-msg, one file per kind of
 * datagram the kernel part sends, byte for byte as kernel/vas-events.c and
 * the netlink core lay it out: genlmsg_put() headers, a zero-length pad
 * attribute wherever nla_put_u64_64bit() needs one to align a u64 (as on
 * an architecture without efficient unaligned access), NLA_F_NESTED on
 * nests, strings with their NUL, dump parts flagged NLM_F_MULTI and ended
 * by NLMSG_DONE, acks and errors as netlink_ack() builds them.
 *
 * The family's own messages are written by lib/netlink/vas-encode, whose
 * bytes the vm test "encode" compares with the kernel part's; NLMSG_DONE
 * and the acks and errors, which here echo a whole request as the encoder
 * does not, with libmnl.
 *
 * Usage: gen-corpus DIR LIST
 * Writes one file per datagram into DIR (created if need be), and into
 * LIST their absolute paths separated by commas, as libFuzzer's
 * -seed_inputs=@LIST reads them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "netlink/vas-encode.h"
#include "netlink/vas-msg.h"
#include "util/macro.h"

/* Any id at or above NLMSG_MIN_TYPE: the kernel picks the family's. */
#define FAMILY_ID 0x1b
#define PORTID 4242
#define REQ_SEQ 7
#define GEN 0x5d1c0a7e93b2f468ULL
#define TS 1764331234123456789ULL

/* skb->data is 8-byte aligned; so is this, so alignment is by offset */
static union {
	uint64_t align;
	uint8_t bytes[8192];
} dgram;

static const struct vas_window win_active = {
	.id = 1, .tgid = 812, .pid = 812, .comm = "nxclient",
	.cop = VAS_COP_GZIP, .type = VAS_WIN_TYPE_DEFAULT,
	.state = VAS_WIN_STATE_ACTIVE, .reason = VAS_SUSPEND_REASON_NONE,
	.opened_at = TS - 1000000,
};

/* The longest comm there is: TASK_COMM_LEN - 1 characters. */
static const struct vas_window win_migrating = {
	.id = 2, .tgid = 815, .pid = 816, .comm = "gzip-worker-007",
	.cop = VAS_COP_GZIP, .type = VAS_WIN_TYPE_QOS,
	.state = VAS_WIN_STATE_SUSPENDED,
	.reason = VAS_SUSPEND_REASON_MIGRATION,
	.opened_at = TS - 500000,
};

static const struct vas_window win_credits = {
	.id = 3, .tgid = 901, .pid = 903, .comm = "a",
	.cop = VAS_COP_GZIP, .type = VAS_WIN_TYPE_DEFAULT,
	.state = VAS_WIN_STATE_SUSPENDED,
	.reason = VAS_SUSPEND_REASON_CREDITS,
	.opened_at = TS - 250000,
};

/* The next message of the datagram starts where the last one ended. */
static size_t dgram_len;

static struct nlmsghdr *msg_begin(uint16_t type, uint16_t flags,
				  uint32_t seq, uint32_t portid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(dgram.bytes + dgram_len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = portid;
	return nlh;
}

static void msg_end(struct nlmsghdr *nlh)
{
	dgram_len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Who a message goes to: the events group, or the socket that asked. */
struct dest {
	uint16_t flags;
	uint32_t seq, portid;
};

/* a notification: seq and portid 0 */
static const struct dest ntf = { 0 };
static const struct dest reply = { .seq = REQ_SEQ, .portid = PORTID };
static const struct dest part = {
	.flags = NLM_F_MULTI, .seq = REQ_SEQ, .portid = PORTID,
};
static const struct dest part_intr = {
	.flags = NLM_F_MULTI | NLM_F_DUMP_INTR, .seq = REQ_SEQ,
	.portid = PORTID,
};

/* A message of the family, with what vas-spec says cmd carries. */
static void family_msg(const struct dest *d, const struct vas_msg *m)
{
	const struct vas_encode_frame f = {
		.type = FAMILY_ID,
		.flags = d->flags,
		.seq = d->seq,
		.portid = d->portid,
		.pad64 = true,
	};
	int n;

	n = vas_encode_msg(dgram.bytes + dgram_len,
			   sizeof(dgram.bytes) - dgram_len, &f, m);
	if (n < 0) {
		fprintf(stderr, "gen-corpus: encoding %s: %s\n",
			vas_cmd_to_string(m->cmd), strerror(-n));
		exit(1);
	}
	dgram_len += NLMSG_ALIGN((size_t)n);
}

static void window_msg(uint8_t cmd, const struct dest *d, uint64_t vas_seq,
		       const struct vas_window *w)
{
	family_msg(d, &(struct vas_msg) {
		.cmd = cmd, .generation = GEN, .seq = vas_seq, .timestamp = TS,
		.window = *w,
	});
}

static void caps_msg(uint8_t cmd, const struct dest *d, uint64_t vas_seq,
		     uint32_t type, uint32_t total, uint32_t used)
{
	family_msg(d, &(struct vas_msg) {
		.cmd = cmd, .generation = GEN, .seq = vas_seq, .timestamp = TS,
		.caps = { .type = type, .total = total, .used = used },
	});
}

static void migration_msg(uint8_t cmd, const struct dest *d,
			  uint64_t vas_seq, uint64_t stream, uint32_t phase,
			  uint64_t token)
{
	family_msg(d, &(struct vas_msg) {
		.cmd = cmd, .generation = GEN, .seq = vas_seq, .timestamp = TS,
		.migration = {
			.stream_id = stream, .phase = phase, .token = token,
		},
	});
}

/* netlink_dump_done(): the dump's errno as payload. */
static void done_msg(void)
{
	struct nlmsghdr *nlh = msg_begin(NLMSG_DONE, NLM_F_MULTI, REQ_SEQ,
					 PORTID);
	int32_t err = 0;

	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(err)), &err,
	       sizeof(err));
	msg_end(nlh);
}

/*
 * netlink_ack() for a COORD_REGISTER request: an ack carries the
 * request's header only (NLM_F_CAPPED); an error the whole request, then
 * the extack message (NLM_F_ACK_TLVS).
 */
static void error_msg(int error, const char *extack)
{
	struct nlmsghdr *nlh, req = {
		.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN,
		.nlmsg_type = FAMILY_ID,
		.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		.nlmsg_seq = REQ_SEQ,
	};
	struct genlmsghdr req_genl = {
		.cmd = VAS_CMD_COORD_REGISTER,
		.version = VAS_FAMILY_VERSION,
	};
	struct nlmsgerr *e;
	uint16_t flags = error ? 0 : NLM_F_CAPPED;

	if (extack)
		flags |= NLM_F_ACK_TLVS;
	nlh = msg_begin(NLMSG_ERROR, flags, REQ_SEQ, PORTID);
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg = req;
	if (error)
		memcpy(mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN), &req_genl,
		       GENL_HDRLEN);
	if (extack)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, extack);
	msg_end(nlh);
}

static void gen_window_add_ntf(void)
{
	window_msg(VAS_CMD_WINDOW_ADD_NTF, &ntf, 5, &win_active);
}

static void gen_window_del_ntf(void)
{
	window_msg(VAS_CMD_WINDOW_DEL_NTF, &ntf, 6, &win_active);
}

static void gen_window_change_ntf_migration(void)
{
	window_msg(VAS_CMD_WINDOW_CHANGE_NTF, &ntf, 7, &win_migrating);
}

static void gen_window_change_ntf_credits(void)
{
	window_msg(VAS_CMD_WINDOW_CHANGE_NTF, &ntf, 8, &win_credits);
}

static void gen_caps_change_ntf(void)
{
	caps_msg(VAS_CMD_CAPS_CHANGE_NTF, &ntf, 9, VAS_WIN_TYPE_QOS, 2, 1);
}

static void gen_migration_change_ntf_prepare(void)
{
	migration_msg(VAS_CMD_MIGRATION_CHANGE_NTF, &ntf, 10, 4711,
		      VAS_MIGRATION_PHASE_PREPARE, 0x9f1e2d3c4b5a6978ULL);
}

static void gen_migration_change_ntf_aborted(void)
{
	migration_msg(VAS_CMD_MIGRATION_CHANGE_NTF, &ntf, 14, 4711,
		      VAS_MIGRATION_PHASE_ABORTED, 0x9f1e2d3c4b5a6978ULL);
}

static void gen_window_get_reply(void)
{
	window_msg(VAS_CMD_WINDOW_GET, &reply, 8, &win_migrating);
}

/* The last part of a dump: the core puts NLMSG_DONE behind it if it fits. */
static void gen_window_get_dump(void)
{
	window_msg(VAS_CMD_WINDOW_GET, &part, 8, &win_active);
	window_msg(VAS_CMD_WINDOW_GET, &part, 8, &win_migrating);
	done_msg();
}

/* seq moved between two parts: genl_dump_check_consistent() flags it */
static void gen_window_get_dump_intr(void)
{
	window_msg(VAS_CMD_WINDOW_GET, &part_intr, 9, &win_credits);
}

static void gen_caps_get_reply(void)
{
	caps_msg(VAS_CMD_CAPS_GET, &reply, 4, VAS_WIN_TYPE_DEFAULT, 4, 1);
}

static void gen_caps_get_dump(void)
{
	caps_msg(VAS_CMD_CAPS_GET, &part, 4, VAS_WIN_TYPE_DEFAULT, 4, 1);
	caps_msg(VAS_CMD_CAPS_GET, &part, 4, VAS_WIN_TYPE_QOS, 2, 0);
	done_msg();
}

static void gen_migration_get_reply(void)
{
	migration_msg(VAS_CMD_MIGRATION_GET, &reply, 4, 0,
		      VAS_MIGRATION_PHASE_NONE, 0);
}

static void gen_done(void)
{
	done_msg();
}

static void gen_ack(void)
{
	error_msg(0, NULL);
}

static void gen_error_extack(void)
{
	error_msg(-EBUSY, "another socket is the migration coordinator");
}

static const struct {
	const char *name;
	void (*gen)(void);
} seeds[] = {
	{ "window-add-ntf", gen_window_add_ntf },
	{ "window-del-ntf", gen_window_del_ntf },
	{ "window-change-ntf-migration", gen_window_change_ntf_migration },
	{ "window-change-ntf-credits", gen_window_change_ntf_credits },
	{ "caps-change-ntf", gen_caps_change_ntf },
	{ "migration-change-ntf-prepare", gen_migration_change_ntf_prepare },
	{ "migration-change-ntf-aborted", gen_migration_change_ntf_aborted },
	{ "window-get-reply", gen_window_get_reply },
	{ "window-get-dump", gen_window_get_dump },
	{ "window-get-dump-intr", gen_window_get_dump_intr },
	{ "caps-get-reply", gen_caps_get_reply },
	{ "caps-get-dump", gen_caps_get_dump },
	{ "migration-get-reply", gen_migration_get_reply },
	{ "done", gen_done },
	{ "ack", gen_ack },
	{ "error-extack", gen_error_extack },
};

static int write_file(const char *path, const void *p, size_t len)
{
	int fd, r = 0;
	ssize_t n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, p, len);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX];
	FILE *list;

	if (argc != 3) {
		fprintf(stderr, "usage: gen-corpus DIR LIST\n");
		return 2;
	}
	if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "gen-corpus: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* the fuzzer runs elsewhere than this */
	if (!realpath(argv[1], dir)) {
		fprintf(stderr, "gen-corpus: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	list = fopen(argv[2], "we");
	if (!list) {
		fprintf(stderr, "gen-corpus: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}

	for (size_t i = 0; i < ELEMENTSOF(seeds); i++) {
		char path[PATH_MAX];
		int r;

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     seeds[i].name) >= sizeof(path)) {
			fprintf(stderr, "gen-corpus: %s: path too long\n", dir);
			fclose(list);
			return 1;
		}
		memset(&dgram, 0, sizeof(dgram));
		dgram_len = 0;
		seeds[i].gen();
		r = write_file(path, dgram.bytes, dgram_len);
		if (r < 0) {
			fprintf(stderr, "gen-corpus: %s: %s\n", path, strerror(-r));
			fclose(list);
			return 1;
		}
		fprintf(list, "%s%s", i ? "," : "", path);
	}
	if (fclose(list) != 0) {
		fprintf(stderr, "gen-corpus: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	return 0;
}
