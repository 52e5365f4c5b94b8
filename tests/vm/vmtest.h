/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the VM tests: they run as root inside tools/vm/run, load
 * vas_sim.ko themselves and talk to the "vas" family with libmnl directly,
 * as an independent client would, so that they test the kernel part and
 * not the project's own decoder.
 */
#ifndef VMTEST_H
#define VMTEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <linux/netlink.h>

#include "vas-api.h"
#include "vas.h"

/* Failing assertions print file:line and exit 1: the VM is thrown away. */
#define TEST_ASSERT(cond)						\
	((cond) ? (void)0 : vt_fail(__FILE__, __LINE__, "%s", #cond))
#define TEST_ASSERTF(cond, ...)						\
	((cond) ? (void)0 : vt_fail(__FILE__, __LINE__, __VA_ARGS__))
#define TEST_ASSERT_EQ(expected, actual)				\
	vt_assert_eq(__FILE__, __LINE__, #actual, (long long)(expected),	\
		     (long long)(actual))
/* @actual is 0 or a negative errno; the message names both errnos. */
#define TEST_ASSERT_ERR(expected, actual)				\
	vt_assert_err(__FILE__, __LINE__, #actual, (expected), (actual))

noreturn void vt_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vt_assert_eq(const char *file, int line, const char *what,
		  long long expected, long long actual);
void vt_assert_err(const char *file, int line, const char *what,
		   int expected, int actual);

/* CLOCK_MONOTONIC in milliseconds. */
double vt_now_ms(void);
void vt_sleep_ms(unsigned int ms);

/*
 * Module and its controls. vt_setup() loads $VAS_KMOD with @params (may be
 * NULL), vt_teardown() unloads it and fails the test when the kernel log
 * holds a BUG, WARNING, Oops, KASAN or UBSAN report.
 */
void vt_setup(const char *params);
void vt_teardown(void);
void vt_kmod_load(const char *params);
void vt_kmod_unload(void);
void vt_dmesg_check(void);
/*
 * Prints on stderr ("kernel log: LINE") each line of the kernel log that
 * holds one of the @n strings of @bad, of the lines after the first that
 * holds @mark (every line when @mark is NULL). Returns how many; -1 when
 * no line holds @mark.
 */
int vt_klog_scan(const char *mark, const char *const *bad, size_t n);
int vt_debugfs_write(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
uint64_t vt_debugfs_read_u64(const char *name);
void vt_param_write(const char *name, const char *value);

struct vt_stats {
	uint64_t migrations;
	uint64_t aborted;
	uint64_t missed_windows;
	uint64_t opens;
	uint64_t open_ebusy;
};

void vt_stats_read(struct vt_stats *ret);

/* Runs a migration through debugfs: 0, or -EAGAIN (aborted), -EBUSY. */
int vt_migrate(uint64_t stream_id);

/*
 * A migration in a thread of its own, so that the test can watch and
 * answer its events meanwhile. vt_migrate_join() waits for it, fails the
 * test unless it returned 0, and returns how long it took, in ms.
 */
struct vt_migration {
	pthread_t thread;
	uint64_t stream;
	int err;
	double start_ms;
	double end_ms;
};

void vt_migrate_start(struct vt_migration *mig, uint64_t stream_id);
double vt_migrate_join(struct vt_migration *mig);

/*
 * failslab (the debug kernel): whether the kernel has it; aim it at
 * vas_sim's own allocations (an allocation counts when the module is on
 * the stack; GFP_KERNEL ones included; no stack dump in the log); fail
 * the calling thread's @n-th such allocation from now (0: none); whether
 * that happened (disarming it when not).
 */
bool vt_failslab_present(void);
void vt_failslab_aim(void);
void vt_fail_nth(unsigned int n);
bool vt_fail_nth_fired(void);

/* Windows through the real uapi. */
int vt_win_open(uint64_t flags);
int vt_win_ioctl(int fd, const struct vas_tx_win_open_attr *attr);
void *vt_win_map(int fd);
void vt_win_unmap(void *paste);
/* Stores to the paste page: true when it worked, false on SIGBUS. */
bool vt_paste(void *paste);

/* One decoded message of the family; every u64 is checked for its size. */
struct vt_window {
	uint32_t id;
	uint32_t tgid;
	uint32_t pid;
	char comm[16];
	uint32_t cop;
	uint32_t type;
	uint32_t state;
	uint32_t reason;
	uint64_t opened_at;
	uint32_t uid;
};

struct vt_msg {
	uint8_t cmd;
	uint16_t nlflags;
	bool has_ids;		/* GENERATION and SEQ */
	bool has_timestamp;
	bool has_window;
	bool has_caps;
	bool has_migration;
	uint64_t generation;
	uint64_t seq;
	uint64_t timestamp;
	struct vt_window win;
	struct {
		uint32_t type;
		uint32_t total;
		uint32_t used;
	} caps;
	struct {
		uint64_t stream_id;
		uint32_t phase;
		uint64_t token;
	} mig;
};

#define VT_REPLY_MAX 256

/* What a request got back: its ack (or dump end) and its messages. */
struct vt_reply {
	int err;		/* 0 or a negative errno */
	bool has_extack_msg;
	char extack_msg[256];
	bool dump_intr;		/* a part carried NLM_F_DUMP_INTR */
	size_t n;
	struct vt_msg msgs[VT_REPLY_MAX];
};

/* A generic netlink socket with the "vas" family resolved. */
struct vt_nl;

struct vt_nl *vt_nl_new(void);
void vt_nl_free(struct vt_nl *nl);
/* Whether the controller knows the family (vas_sim's family parameter). */
bool vt_family_present(void);
uint16_t vt_nl_family(const struct vt_nl *nl);
/* The id of the events group, for a socket of one's own. */
uint32_t vt_nl_group(const struct vt_nl *nl);
/* Join the events group: 0 or a negative errno (-EPERM unprivileged). */
int vt_nl_join(struct vt_nl *nl);
void vt_nl_ext_ack(struct vt_nl *nl);
void vt_nl_rcvbuf(struct vt_nl *nl, int bytes);
int vt_nl_fd(const struct vt_nl *nl);

/*
 * Requests. vt_req() starts one in @buf (VT_BUF bytes) with the family's
 * header; attributes are added with mnl_attr_put*(); vt_transact() sends it
 * and collects the reply in @ret; it returns ret->err. A do request gets
 * NLM_F_ACK, a dump NLM_F_DUMP.
 */
#define VT_BUF 8192
struct nlmsghdr *vt_req(struct vt_nl *nl, void *buf, uint8_t cmd, bool dump);
/*
 * The headers alone, for any generic netlink family and with any flags
 * and version (a fuzzer's requests): a message in @buf without attributes.
 */
struct nlmsghdr *vt_genl_put(void *buf, uint16_t type, uint16_t flags,
			     uint32_t seq, uint8_t cmd, uint8_t version);
int vt_transact(struct vt_nl *nl, struct nlmsghdr *req,
		struct vt_reply *ret);
/*
 * vt_transact(), but an error of send() or recv() (ENOMEM, ENOBUFS: what
 * fault injection causes) is returned as a negative errno, not a failure.
 */
int vt_transact_try(struct vt_nl *nl, struct nlmsghdr *req,
		    struct vt_reply *ret);
/* A do or dump without attributes. */
int vt_simple(struct vt_nl *nl, uint8_t cmd, bool dump, struct vt_reply *ret);
/* WINDOW_GET do by id. */
int vt_window_get(struct vt_nl *nl, uint32_t id, struct vt_reply *ret);
/* COORD_ACK with @token. */
int vt_coord_ack(struct vt_nl *nl, uint64_t token, struct vt_reply *ret);

/*
 * Events of a joined socket: 1 with @ret filled, 0 when @timeout_ms passed,
 * or a negative errno (-ENOBUFS: the socket overran).
 */
int vt_event_wait(struct vt_nl *nl, struct vt_msg *ret, int timeout_ms);
/* The next event, which must be @cmd within @timeout_ms. */
void vt_event_expect(struct vt_nl *nl, uint8_t cmd, int timeout_ms,
		     struct vt_msg *ret);
/*
 * vt_event_expect(), and the event must be numbered right after *@last_seq
 * (0 before an instance's first event); *@last_seq becomes its seq.
 */
void vt_event_next(struct vt_nl *nl, uint8_t cmd, int timeout_ms,
		   uint64_t *last_seq, struct vt_msg *ret);
/* No event within @timeout_ms. */
void vt_event_none(struct vt_nl *nl, int timeout_ms);

const char *vt_cmd_name(uint8_t cmd);
const char *vt_phase_name(uint32_t phase);

/*
 * Becomes nobody (uid and gid VT_NOBODY, no supplementary groups, so no
 * capability), or fails the test.
 */
#define VT_NOBODY	65534
void vt_drop_to_nobody(void);

/*
 * Runs @fn in a child process as nobody (uid and gid 65534, no
 * supplementary groups, so no capability) and fails the test unless the
 * child exits 0.
 */
void vt_run_unprivileged(void (*fn)(void *arg), void *arg);

#endif /* VMTEST_H */
