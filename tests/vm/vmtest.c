// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers of the VM tests (vmtest.h): module loading, debugfs, windows
 * through /dev/crypto/nx-gzip, and a small libmnl client of the "vas"
 * family that decodes every message strictly against proto/vas.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "vmtest.h"

#define VT_DEBUGFS	"/sys/kernel/debug/vas_sim/"
#define VT_PARAMS	"/sys/module/vas_sim/parameters/"
#define VT_DEVICE	"/dev/crypto/nx-gzip"
#define VT_MODULE	"vas_sim"
#define VT_RBUF		(64 * 1024)

struct vt_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	uint32_t group;
	/* events not yet handed out by vt_event_wait() */
	char *rbuf;
	size_t rlen;
	size_t roff;
};

noreturn void vt_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s:%d: FAIL: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void vt_assert_eq(const char *file, int line, const char *what,
		  long long expected, long long actual)
{
	if (expected != actual)
		vt_fail(file, line, "%s is %lld, expected %lld", what, actual,
			expected);
}

void vt_assert_err(const char *file, int line, const char *what,
		   int expected, int actual)
{
	if (expected != actual)
		vt_fail(file, line, "%s gave %d (%s), expected %d (%s)", what,
			actual, actual ? strerror(-actual) : "success",
			expected, expected ? strerror(-expected) : "success");
}

double vt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void vt_sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Module and controls. */

void vt_kmod_load(const char *params)
{
	const char *path = getenv("VAS_KMOD");
	int fd;

	TEST_ASSERTF(path && *path, "VAS_KMOD is not set");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	TEST_ASSERTF(fd >= 0, "open %s: %s", path, strerror(errno));
	TEST_ASSERTF(syscall(SYS_finit_module, fd, params ? params : "", 0) == 0,
		     "loading %s %s: %s", path, params ? params : "",
		     strerror(errno));
	close(fd);
}

void vt_kmod_unload(void)
{
	double deadline = vt_now_ms() + 5000;

	/* A window file or dump still being released holds a reference. */
	while (syscall(SYS_delete_module, VT_MODULE, O_NONBLOCK) < 0) {
		TEST_ASSERTF(errno == EAGAIN || errno == EBUSY,
			     "unloading %s: %s", VT_MODULE, strerror(errno));
		TEST_ASSERTF(vt_now_ms() < deadline,
			     "%s still in use after 5 s", VT_MODULE);
		vt_sleep_ms(20);
	}
}

int vt_klog_scan(const char *mark, const char *const *bad, size_t n)
{
	char *buf, *line, *save = NULL;
	bool after = !mark;
	int size, len, found = 0;
	size_t i;

	size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	TEST_ASSERTF(size > 0, "klogctl: %s", strerror(errno));
	buf = calloc(1, (size_t)size + 1);
	TEST_ASSERT(buf);
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	TEST_ASSERTF(len >= 0, "klogctl: %s", strerror(errno));
	buf[len] = '\0';

	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!after && strstr(line, mark)) {
			after = true;
			continue;
		}
		for (i = 0; after && i < n; i++) {
			if (strstr(line, bad[i])) {
				fprintf(stderr, "kernel log: %s\n", line);
				found++;
				break;
			}
		}
	}
	free(buf);
	return after ? found : -1;
}

void vt_dmesg_check(void)
{
	static const char *const bad[] = {
		"BUG:", "WARNING:", "Oops", "KASAN", "UBSAN",
		"general protection fault", "Call Trace:",
	};

	TEST_ASSERTF(vt_klog_scan(NULL, bad, sizeof(bad) / sizeof(bad[0])) == 0,
		     "the kernel log has a BUG/WARNING/Oops report");
}

void vt_setup(const char *params)
{
	/* stdout and stderr reach the host through one serial line each */
	setvbuf(stdout, NULL, _IOLBF, 0);
	vt_kmod_load(params);
}

void vt_teardown(void)
{
	vt_kmod_unload();
	vt_dmesg_check();
}

int vt_debugfs_write(const char *name, const char *fmt, ...)
{
	char path[256], val[64];
	va_list ap;
	ssize_t n;
	int fd, len, err = 0;

	va_start(ap, fmt);
	len = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	TEST_ASSERT(len > 0 && (size_t)len < sizeof(val));

	snprintf(path, sizeof(path), VT_DEBUGFS "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	TEST_ASSERTF(fd >= 0, "open %s: %s", path, strerror(errno));
	n = write(fd, val, (size_t)len);
	if (n < 0)
		err = -errno;
	else
		TEST_ASSERTF(n == len, "short write to %s", path);
	close(fd);
	return err;
}

static size_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	TEST_ASSERTF(fd >= 0, "open %s: %s", path, strerror(errno));
	n = read(fd, buf, size - 1);
	TEST_ASSERTF(n >= 0, "read %s: %s", path, strerror(errno));
	close(fd);
	buf[n] = '\0';
	return (size_t)n;
}

uint64_t vt_debugfs_read_u64(const char *name)
{
	char path[256], buf[64], *end;
	uint64_t v;

	snprintf(path, sizeof(path), VT_DEBUGFS "%s", name);
	read_file(path, buf, sizeof(buf));
	errno = 0;
	v = strtoull(buf, &end, 10);
	TEST_ASSERTF(!errno && end != buf && (*end == '\n' || !*end),
		     "%s holds '%s', not a number", path, buf);
	return v;
}

void vt_param_write(const char *name, const char *value)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), VT_PARAMS "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	TEST_ASSERTF(fd >= 0, "open %s: %s", path, strerror(errno));
	n = write(fd, value, strlen(value));
	TEST_ASSERTF(n == (ssize_t)strlen(value), "write %s to %s: %s",
		     value, path, strerror(errno));
	close(fd);
}

void vt_stats_read(struct vt_stats *ret)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "migrations", offsetof(struct vt_stats, migrations) },
		{ "aborted", offsetof(struct vt_stats, aborted) },
		{ "missed_windows", offsetof(struct vt_stats, missed_windows) },
		{ "opens", offsetof(struct vt_stats, opens) },
		{ "open_ebusy", offsetof(struct vt_stats, open_ebusy) },
	};
	char buf[1024], name[64], *line, *save = NULL;
	unsigned int seen = 0;
	uint64_t v;
	size_t i;

	read_file(VT_DEBUGFS "stats", buf, sizeof(buf));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		TEST_ASSERTF(sscanf(line, "%63s %" SCNu64, name, &v) == 2,
			     "stats line '%s'", line);
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			if (!strcmp(name, fields[i].name)) {
				*(uint64_t *)((char *)ret + fields[i].off) = v;
				seen |= 1u << i;
			}
		}
	}
	TEST_ASSERTF(seen == (1u << (sizeof(fields) / sizeof(fields[0]))) - 1,
		     "stats lacks a counter");
}

int vt_migrate(uint64_t stream_id)
{
	return vt_debugfs_write("migrate", "%" PRIu64, stream_id);
}

static void *migrate_thread(void *arg)
{
	struct vt_migration *mig = arg;

	mig->err = vt_migrate(mig->stream);
	mig->end_ms = vt_now_ms();
	return NULL;
}

void vt_migrate_start(struct vt_migration *mig, uint64_t stream_id)
{
	mig->stream = stream_id;
	mig->err = 0;
	mig->start_ms = vt_now_ms();
	mig->end_ms = 0;
	TEST_ASSERT(pthread_create(&mig->thread, NULL, migrate_thread, mig) ==
		    0);
}

double vt_migrate_join(struct vt_migration *mig)
{
	TEST_ASSERT(pthread_join(mig->thread, NULL) == 0);
	TEST_ASSERT_ERR(0, mig->err);
	return mig->end_ms - mig->start_ms;
}

/* failslab. */

#define VT_FAILSLAB "/sys/kernel/debug/failslab/"

bool vt_failslab_present(void)
{
	return access(VT_FAILSLAB, F_OK) == 0;
}

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	TEST_ASSERTF(fd >= 0, "open %s: %s", path, strerror(errno));
	n = write(fd, val, strlen(val));
	TEST_ASSERTF(n == (ssize_t)strlen(val), "write %s to %s: %s", val,
		     path, strerror(errno));
	close(fd);
}

void vt_failslab_aim(void)
{
	unsigned long long base = 0, size = 0;
	char line[256], name[64], val[32];
	FILE *f = fopen("/proc/modules", "re");

	/* vas_sim's base and size in /proc/modules cover its text */
	TEST_ASSERT(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %llu %*d %*s %*s %llx", name, &size,
			   &base) == 3 && !strcmp(name, VT_MODULE))
			break;
		base = 0;
	}
	fclose(f);
	TEST_ASSERTF(base && size, VT_MODULE "'s address not in /proc/modules");

	/* GFP_KERNEL allocations fail too; no stack dump in the log */
	write_file(VT_FAILSLAB "ignore-gfp-wait", "N");
	write_file(VT_FAILSLAB "verbose", "0");
	snprintf(val, sizeof(val), "%llu", base);
	write_file(VT_FAILSLAB "require-start", val);
	snprintf(val, sizeof(val), "%llu", base + size);
	write_file(VT_FAILSLAB "require-end", val);
}

void vt_fail_nth(unsigned int n)
{
	char val[16];

	snprintf(val, sizeof(val), "%u", n);
	write_file("/proc/thread-self/fail-nth", val);
}

bool vt_fail_nth_fired(void)
{
	int fd = open("/proc/thread-self/fail-nth", O_RDONLY | O_CLOEXEC);
	char val[16] = "";
	ssize_t n;

	TEST_ASSERTF(fd >= 0, "fail-nth: %s", strerror(errno));
	n = read(fd, val, sizeof(val) - 1);
	TEST_ASSERTF(n > 0, "fail-nth: %s", strerror(errno));
	close(fd);
	if (atoi(val) == 0)
		return true;
	vt_fail_nth(0);
	return false;
}

/* Windows. */

int vt_win_ioctl(int fd, const struct vas_tx_win_open_attr *attr)
{
	return ioctl(fd, VAS_TX_WIN_OPEN, attr) < 0 ? -errno : 0;
}

int vt_win_open(uint64_t flags)
{
	struct vas_tx_win_open_attr attr = {
		.version = 1,
		.vas_id = -1,
		.flags = flags,
	};
	int fd, err;

	fd = open(VT_DEVICE, O_RDWR | O_CLOEXEC);
	TEST_ASSERTF(fd >= 0, "open " VT_DEVICE ": %s", strerror(errno));
	err = vt_win_ioctl(fd, &attr);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

void *vt_win_map(int fd)
{
	void *p;

	p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_WRITE | PROT_READ,
		 MAP_SHARED, fd, 0);
	TEST_ASSERTF(p != MAP_FAILED, "mmap of the paste page: %s",
		     strerror(errno));
	return p;
}

void vt_win_unmap(void *paste)
{
	TEST_ASSERT(munmap(paste, (size_t)sysconf(_SC_PAGESIZE)) == 0);
}

static __thread sigjmp_buf *paste_jmp;
static pthread_once_t sigbus_once = PTHREAD_ONCE_INIT;

static void sigbus_handler(int sig)
{
	if (paste_jmp)
		siglongjmp(*paste_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void sigbus_install(void)
{
	struct sigaction sa = { .sa_handler = sigbus_handler };

	sigemptyset(&sa.sa_mask);
	TEST_ASSERT(sigaction(SIGBUS, &sa, NULL) == 0);
}

bool vt_paste(void *paste)
{
	volatile uint64_t *word = paste;
	sigjmp_buf env;

	pthread_once(&sigbus_once, sigbus_install);
	if (sigsetjmp(env, 1)) {
		paste_jmp = NULL;
		return false;
	}
	paste_jmp = &env;
	*word = 0x5041535445ull;
	TEST_ASSERT(*word == 0x5041535445ull);
	paste_jmp = NULL;
	return true;
}

/* Netlink. */

const char *vt_cmd_name(uint8_t cmd)
{
	static const char *const names[] = {
		[VAS_CMD_WINDOW_GET] = "WINDOW_GET",
		[VAS_CMD_WINDOW_ADD_NTF] = "WINDOW_ADD_NTF",
		[VAS_CMD_WINDOW_DEL_NTF] = "WINDOW_DEL_NTF",
		[VAS_CMD_WINDOW_CHANGE_NTF] = "WINDOW_CHANGE_NTF",
		[VAS_CMD_CAPS_GET] = "CAPS_GET",
		[VAS_CMD_CAPS_CHANGE_NTF] = "CAPS_CHANGE_NTF",
		[VAS_CMD_MIGRATION_GET] = "MIGRATION_GET",
		[VAS_CMD_MIGRATION_CHANGE_NTF] = "MIGRATION_CHANGE_NTF",
		[VAS_CMD_COORD_REGISTER] = "COORD_REGISTER",
		[VAS_CMD_COORD_UNREGISTER] = "COORD_UNREGISTER",
		[VAS_CMD_COORD_ACK] = "COORD_ACK",
	};

	if (cmd < sizeof(names) / sizeof(names[0]) && names[cmd])
		return names[cmd];
	return "?";
}

const char *vt_phase_name(uint32_t phase)
{
	static const char *const names[] = {
		[VAS_MIGRATION_PHASE_NONE] = "NONE",
		[VAS_MIGRATION_PHASE_PREPARE] = "PREPARE",
		[VAS_MIGRATION_PHASE_SUSPENDING] = "SUSPENDING",
		[VAS_MIGRATION_PHASE_SUSPENDED] = "SUSPENDED",
		[VAS_MIGRATION_PHASE_RESUMED] = "RESUMED",
		[VAS_MIGRATION_PHASE_COMPLETED] = "COMPLETED",
		[VAS_MIGRATION_PHASE_ABORTED] = "ABORTED",
	};

	if (phase < sizeof(names) / sizeof(names[0]))
		return names[phase];
	return "?";
}

static uint64_t attr_u64(const struct nlattr *a, const char *name)
{
	TEST_ASSERTF(mnl_attr_validate(a, MNL_TYPE_U64) == 0,
		     "%s: %u bytes, not a u64", name,
		     mnl_attr_get_payload_len(a));
	return mnl_attr_get_u64(a);
}

static uint32_t attr_u32(const struct nlattr *a, const char *name)
{
	TEST_ASSERTF(mnl_attr_validate(a, MNL_TYPE_U32) == 0,
		     "%s: %u bytes, not a u32", name,
		     mnl_attr_get_payload_len(a));
	return mnl_attr_get_u32(a);
}

static void attr_nest(const struct nlattr *a, const char *name)
{
	TEST_ASSERTF(mnl_attr_validate(a, MNL_TYPE_NESTED) == 0,
		     "%s is not a nest", name);
}

/* Which attributes a nest carried, to check that none is missing. */
struct nest_parse {
	struct vt_msg *msg;
	uint32_t seen;
};

static int window_attr_cb(const struct nlattr *a, void *data)
{
	struct nest_parse *p = data;
	struct vt_window *w = &p->msg->win;
	uint16_t type = mnl_attr_get_type(a);

	switch (type) {
	case VAS_A_WINDOW_PAD:
		return MNL_CB_OK;
	case VAS_A_WINDOW_ID:
		w->id = attr_u32(a, "WINDOW_ID");
		break;
	case VAS_A_WINDOW_TGID:
		w->tgid = attr_u32(a, "WINDOW_TGID");
		break;
	case VAS_A_WINDOW_PID:
		w->pid = attr_u32(a, "WINDOW_PID");
		break;
	case VAS_A_WINDOW_COMM:
		TEST_ASSERTF(mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
			     mnl_attr_get_payload_len(a) <= sizeof(w->comm),
			     "WINDOW_COMM is not a string of at most 16 bytes");
		strcpy(w->comm, mnl_attr_get_str(a));
		break;
	case VAS_A_WINDOW_COP:
		w->cop = attr_u32(a, "WINDOW_COP");
		break;
	case VAS_A_WINDOW_TYPE:
		w->type = attr_u32(a, "WINDOW_TYPE");
		break;
	case VAS_A_WINDOW_STATE:
		w->state = attr_u32(a, "WINDOW_STATE");
		break;
	case VAS_A_WINDOW_REASON:
		w->reason = attr_u32(a, "WINDOW_REASON");
		break;
	case VAS_A_WINDOW_OPENED_AT:
		w->opened_at = attr_u64(a, "WINDOW_OPENED_AT");
		break;
	case VAS_A_WINDOW_UID:
		w->uid = attr_u32(a, "WINDOW_UID");
		break;
	default:
		vt_fail(__FILE__, __LINE__, "unknown window attribute %u",
			type);
	}
	p->seen |= 1u << type;
	return MNL_CB_OK;
}

static int caps_attr_cb(const struct nlattr *a, void *data)
{
	struct nest_parse *p = data;
	uint16_t type = mnl_attr_get_type(a);

	switch (type) {
	case VAS_A_CAPS_TYPE:
		p->msg->caps.type = attr_u32(a, "CAPS_TYPE");
		break;
	case VAS_A_CAPS_TOTAL:
		p->msg->caps.total = attr_u32(a, "CAPS_TOTAL");
		break;
	case VAS_A_CAPS_USED:
		p->msg->caps.used = attr_u32(a, "CAPS_USED");
		break;
	default:
		vt_fail(__FILE__, __LINE__, "unknown caps attribute %u", type);
	}
	p->seen |= 1u << type;
	return MNL_CB_OK;
}

static int migration_attr_cb(const struct nlattr *a, void *data)
{
	struct nest_parse *p = data;
	uint16_t type = mnl_attr_get_type(a);

	switch (type) {
	case VAS_A_MIGRATION_PAD:
		return MNL_CB_OK;
	case VAS_A_MIGRATION_STREAM_ID:
		p->msg->mig.stream_id = attr_u64(a, "MIGRATION_STREAM_ID");
		break;
	case VAS_A_MIGRATION_PHASE:
		p->msg->mig.phase = attr_u32(a, "MIGRATION_PHASE");
		break;
	case VAS_A_MIGRATION_TOKEN:
		p->msg->mig.token = attr_u64(a, "MIGRATION_TOKEN");
		break;
	default:
		vt_fail(__FILE__, __LINE__, "unknown migration attribute %u",
			type);
	}
	p->seen |= 1u << type;
	return MNL_CB_OK;
}

/* Every attribute from @first to @last (bits of @seen) must be present. */
static void nest_complete(uint32_t seen, unsigned int first,
			  unsigned int last, const char *name)
{
	uint32_t want = ((1u << (last + 1)) - 1) & ~((1u << first) - 1);

	TEST_ASSERTF((seen & want) == want,
		     "%s nest lacks attributes (has 0x%x, needs 0x%x)", name,
		     seen, want);
}

static int top_attr_cb(const struct nlattr *a, void *data)
{
	struct nest_parse *p = data;
	struct nest_parse nest = { .msg = p->msg };
	struct vt_msg *m = p->msg;
	uint16_t type = mnl_attr_get_type(a);

	switch (type) {
	case VAS_A_PAD:
		return MNL_CB_OK;
	case VAS_A_GENERATION:
		m->generation = attr_u64(a, "GENERATION");
		break;
	case VAS_A_SEQ:
		m->seq = attr_u64(a, "SEQ");
		break;
	case VAS_A_TIMESTAMP:
		m->timestamp = attr_u64(a, "TIMESTAMP");
		m->has_timestamp = true;
		break;
	case VAS_A_WINDOW:
		attr_nest(a, "WINDOW");
		mnl_attr_parse_nested(a, window_attr_cb, &nest);
		nest_complete(nest.seen, VAS_A_WINDOW_ID,
			      VAS_A_WINDOW_UID, "WINDOW");
		m->has_window = true;
		break;
	case VAS_A_CAPS:
		attr_nest(a, "CAPS");
		mnl_attr_parse_nested(a, caps_attr_cb, &nest);
		nest_complete(nest.seen, VAS_A_CAPS_TYPE, VAS_A_CAPS_USED,
			      "CAPS");
		m->has_caps = true;
		break;
	case VAS_A_MIGRATION:
		attr_nest(a, "MIGRATION");
		mnl_attr_parse_nested(a, migration_attr_cb, &nest);
		nest_complete(nest.seen, VAS_A_MIGRATION_STREAM_ID,
			      VAS_A_MIGRATION_TOKEN, "MIGRATION");
		m->has_migration = true;
		break;
	default:
		vt_fail(__FILE__, __LINE__, "unexpected attribute %u", type);
	}
	p->seen |= 1u << type;
	return MNL_CB_OK;
}

static void msg_parse(const struct vt_nl *nl, const struct nlmsghdr *nlh,
		      struct vt_msg *ret)
{
	const struct genlmsghdr *genl;
	struct nest_parse p = { .msg = ret };

	memset(ret, 0, sizeof(*ret));
	TEST_ASSERTF(nlh->nlmsg_type == nl->family,
		     "message of type %u, not of the family (%u)",
		     nlh->nlmsg_type, nl->family);
	TEST_ASSERT(mnl_nlmsg_get_payload_len(nlh) >= sizeof(*genl));
	genl = mnl_nlmsg_get_payload(nlh);
	ret->cmd = genl->cmd;
	ret->nlflags = nlh->nlmsg_flags;
	TEST_ASSERTF(mnl_attr_parse(nlh, sizeof(*genl), top_attr_cb, &p) ==
		     MNL_CB_OK, "malformed attributes in %s",
		     vt_cmd_name(ret->cmd));
	ret->has_ids = (p.seen & (1u << VAS_A_GENERATION)) &&
		       (p.seen & (1u << VAS_A_SEQ));
	TEST_ASSERTF(ret->has_ids || ret->cmd == VAS_CMD_COORD_REGISTER ||
		     ret->cmd == VAS_CMD_COORD_UNREGISTER ||
		     ret->cmd == VAS_CMD_COORD_ACK,
		     "%s without GENERATION and SEQ", vt_cmd_name(ret->cmd));
}

static int extack_attr_cb(const struct nlattr *a, void *data)
{
	struct vt_reply *r = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
		snprintf(r->extack_msg, sizeof(r->extack_msg), "%s",
			 mnl_attr_get_str(a));
		r->has_extack_msg = true;
	}
	return MNL_CB_OK;
}

/* The error of an NLMSG_ERROR or NLMSG_DONE, and its extack message. */
static int msg_error(const struct nlmsghdr *nlh, struct vt_reply *r)
{
	size_t off;
	int err;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		TEST_ASSERT(mnl_nlmsg_get_payload_len(nlh) >= sizeof(*e));
		err = e->error;
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	} else {
		TEST_ASSERT(mnl_nlmsg_get_payload_len(nlh) >= sizeof(int));
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		off = sizeof(int);
	}
	if (r && (nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		mnl_attr_parse(nlh, (unsigned int)off, extack_attr_cb, r);
	TEST_ASSERTF(err <= 0, "positive netlink error %d", err);
	return err;
}

typedef void (*nl_msg_fn)(struct vt_nl *nl, const struct nlmsghdr *nlh,
			  void *data);

/*
 * Sends @req and hands each message of its answer to @fn until the ack (a
 * do) or NLMSG_DONE (a dump). Returns the kernel's error.
 */
/*
 * @tolerate: a send or receive error is returned as a negative errno
 * instead of failing the test (fault injection makes them expected).
 */
static int nl_exchange(struct vt_nl *nl, struct nlmsghdr *req, nl_msg_fn fn,
		       void *data, struct vt_reply *info, bool tolerate)
{
	char *buf = malloc(VT_RBUF);
	const struct nlmsghdr *nlh;
	int err = 0, len;
	bool done = false;
	ssize_t n;

	TEST_ASSERT(buf);
	n = mnl_socket_sendto(nl->sock, req, req->nlmsg_len);
	if (n < 0 && tolerate) {
		err = -errno;
		goto out;
	}
	TEST_ASSERTF(n == (ssize_t)req->nlmsg_len, "netlink send: %s",
		     strerror(errno));
	while (!done) {
		n = mnl_socket_recvfrom(nl->sock, buf, VT_RBUF);
		if (n < 0 && tolerate) {
			err = -errno;
			break;
		}
		TEST_ASSERTF(n > 0, "netlink receive: %s",
			     n < 0 ? strerror(errno) : "end of file");
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			/* an answer to an earlier request that timed out */
			if (nlh->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE) {
				err = msg_error(nlh, info);
				done = true;
				break;
			}
			if (info && (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
				info->dump_intr = true;
			fn(nl, nlh, data);
		}
	}
out:
	free(buf);
	return err;
}

struct ctrl_parse {
	uint16_t family;
	uint32_t version;
	uint32_t group;
};

static int ctrl_grp_cb(const struct nlattr *a, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1] = { NULL };
	struct ctrl_parse *c = data;
	const struct nlattr *inner;

	mnl_attr_for_each_nested(inner, a) {
		if (mnl_attr_get_type(inner) <= CTRL_ATTR_MCAST_GRP_MAX)
			tb[mnl_attr_get_type(inner)] = inner;
	}
	if (tb[CTRL_ATTR_MCAST_GRP_NAME] && tb[CTRL_ATTR_MCAST_GRP_ID] &&
	    !strcmp(mnl_attr_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME]),
		    VAS_MCGRP_EVENTS))
		c->group = attr_u32(tb[CTRL_ATTR_MCAST_GRP_ID], "GRP_ID");
	return MNL_CB_OK;
}

static int ctrl_attr_cb(const struct nlattr *a, void *data)
{
	struct ctrl_parse *c = data;

	switch (mnl_attr_get_type(a)) {
	case CTRL_ATTR_FAMILY_ID:
		TEST_ASSERT(mnl_attr_validate(a, MNL_TYPE_U16) == 0);
		c->family = mnl_attr_get_u16(a);
		break;
	case CTRL_ATTR_VERSION:
		c->version = attr_u32(a, "CTRL_ATTR_VERSION");
		break;
	case CTRL_ATTR_MCAST_GROUPS:
		mnl_attr_parse_nested(a, ctrl_grp_cb, c);
		break;
	}
	return MNL_CB_OK;
}

static void ctrl_msg(struct vt_nl *nl, const struct nlmsghdr *nlh, void *data)
{
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), ctrl_attr_cb, data);
}

/* CTRL_CMD_GETFAMILY for "vas": 0, -ENOENT when it is not registered. */
static int ctrl_getfamily(struct vt_nl *nl, struct ctrl_parse *c)
{
	char buf[VT_BUF];
	struct nlmsghdr *nlh;

	nlh = vt_genl_put(buf, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK,
			  ++nl->seq, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, VAS_FAMILY_NAME);
	return nl_exchange(nl, nlh, ctrl_msg, c, NULL, false);
}

/* The controller's answer for "vas": family id, version and group. */
static void nl_resolve(struct vt_nl *nl)
{
	struct ctrl_parse c = { 0 };
	int err;

	err = ctrl_getfamily(nl, &c);
	TEST_ASSERTF(!err, "resolving the %s family: %s", VAS_FAMILY_NAME,
		     strerror(-err));
	TEST_ASSERTF(c.family, "no family id for %s", VAS_FAMILY_NAME);
	TEST_ASSERT_EQ(VAS_FAMILY_VERSION, c.version);
	TEST_ASSERTF(c.group, "family %s has no group %s", VAS_FAMILY_NAME,
		     VAS_MCGRP_EVENTS);
	nl->family = c.family;
	nl->group = c.group;
}

/* A bound socket that has not resolved the family. */
static struct vt_nl *vt_nl_open(void)
{
	struct timeval tv = { .tv_sec = 30 };
	struct vt_nl *nl = calloc(1, sizeof(*nl));
	int one = 1;

	TEST_ASSERT(nl);
	nl->rbuf = malloc(VT_RBUF);
	TEST_ASSERT(nl->rbuf);
	nl->sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	TEST_ASSERTF(nl->sock, "netlink socket: %s", strerror(errno));
	TEST_ASSERTF(mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) == 0,
		     "netlink bind: %s", strerror(errno));
	nl->portid = mnl_socket_get_portid(nl->sock);
	/* acks without the request echoed: small, and the same layout */
	TEST_ASSERT(mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one,
					  sizeof(one)) == 0);
	/* a kernel that never answers fails the test instead of hanging it */
	TEST_ASSERT(setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET,
			       SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	return nl;
}

struct vt_nl *vt_nl_new(void)
{
	struct vt_nl *nl = vt_nl_open();

	nl_resolve(nl);
	return nl;
}

bool vt_family_present(void)
{
	struct vt_nl *nl = vt_nl_open();
	struct ctrl_parse c = { 0 };
	int err;

	err = ctrl_getfamily(nl, &c);
	TEST_ASSERTF(!err || err == -ENOENT, "resolving the %s family: %s",
		     VAS_FAMILY_NAME, strerror(-err));
	vt_nl_free(nl);
	return !err;
}

void vt_nl_free(struct vt_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl->rbuf);
	free(nl);
}

uint16_t vt_nl_family(const struct vt_nl *nl)
{
	return nl->family;
}

uint32_t vt_nl_group(const struct vt_nl *nl)
{
	return nl->group;
}

int vt_nl_fd(const struct vt_nl *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

int vt_nl_join(struct vt_nl *nl)
{
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &nl->group,
				  sizeof(nl->group)) < 0)
		return -errno;
	return 0;
}

void vt_nl_ext_ack(struct vt_nl *nl)
{
	int one = 1;

	TEST_ASSERT(mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one,
					  sizeof(one)) == 0);
}

void vt_nl_rcvbuf(struct vt_nl *nl, int bytes)
{
	/* FORCE: root may exceed net.core.rmem_max */
	TEST_ASSERTF(setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET,
				SO_RCVBUFFORCE, &bytes, sizeof(bytes)) == 0,
		     "SO_RCVBUFFORCE: %s", strerror(errno));
}

struct nlmsghdr *vt_genl_put(void *buf, uint16_t type, uint16_t flags,
			     uint32_t seq, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

struct nlmsghdr *vt_req(struct vt_nl *nl, void *buf, uint8_t cmd, bool dump)
{
	return vt_genl_put(buf, nl->family,
			   NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK),
			   ++nl->seq, cmd, VAS_FAMILY_VERSION);
}

static void reply_msg(struct vt_nl *nl, const struct nlmsghdr *nlh,
		      void *data)
{
	struct vt_reply *r = data;

	TEST_ASSERTF(r->n < VT_REPLY_MAX, "more than %d messages in a reply",
		     VT_REPLY_MAX);
	msg_parse(nl, nlh, &r->msgs[r->n++]);
}

int vt_transact(struct vt_nl *nl, struct nlmsghdr *req, struct vt_reply *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->err = nl_exchange(nl, req, reply_msg, ret, ret, false);
	return ret->err;
}

int vt_transact_try(struct vt_nl *nl, struct nlmsghdr *req,
		    struct vt_reply *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->err = nl_exchange(nl, req, reply_msg, ret, ret, true);
	return ret->err;
}

int vt_simple(struct vt_nl *nl, uint8_t cmd, bool dump, struct vt_reply *ret)
{
	char buf[VT_BUF];

	return vt_transact(nl, vt_req(nl, buf, cmd, dump), ret);
}

int vt_window_get(struct vt_nl *nl, uint32_t id, struct vt_reply *ret)
{
	char buf[VT_BUF];
	struct nlmsghdr *nlh = vt_req(nl, buf, VAS_CMD_WINDOW_GET, false);
	struct nlattr *nest;

	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_ID, id);
	mnl_attr_nest_end(nlh, nest);
	return vt_transact(nl, nlh, ret);
}

int vt_coord_ack(struct vt_nl *nl, uint64_t token, struct vt_reply *ret)
{
	char buf[VT_BUF];
	struct nlmsghdr *nlh = vt_req(nl, buf, VAS_CMD_COORD_ACK, false);

	mnl_attr_put_u64(nlh, VAS_A_TOKEN, token);
	return vt_transact(nl, nlh, ret);
}

/* Events. */

int vt_event_wait(struct vt_nl *nl, struct vt_msg *ret, int timeout_ms)
{
	double deadline = vt_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = vt_nl_fd(nl), .events = POLLIN };
	const struct nlmsghdr *nlh;
	ssize_t n;
	int left;

	for (;;) {
		while (nl->roff < nl->rlen) {
			int len = (int)(nl->rlen - nl->roff);

			nlh = (const struct nlmsghdr *)(nl->rbuf + nl->roff);
			TEST_ASSERTF(mnl_nlmsg_ok(nlh, len),
				     "truncated event message");
			nl->roff += NLMSG_ALIGN(nlh->nlmsg_len);
			/* a socket used for requests too sees stale acks */
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE)
				continue;
			TEST_ASSERTF(nlh->nlmsg_seq == 0 && nlh->nlmsg_pid == 0,
				     "event with seq %u portid %u",
				     nlh->nlmsg_seq, nlh->nlmsg_pid);
			msg_parse(nl, nlh, ret);
			return 1;
		}

		/* poll only when nothing is queued: one syscall per event */
		n = recv(pfd.fd, nl->rbuf, VT_RBUF, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			left = (int)(deadline - vt_now_ms());
			if (left < 0)
				left = 0;
			n = poll(&pfd, 1, left);
			if (n < 0 && errno == EINTR)
				continue;
			TEST_ASSERTF(n >= 0, "poll: %s", strerror(errno));
			if (n == 0)
				return 0;
			continue;
		}
		if (n < 0)
			return -errno;
		nl->rlen = (size_t)n;
		nl->roff = 0;
	}
}

void vt_event_expect(struct vt_nl *nl, uint8_t cmd, int timeout_ms,
		     struct vt_msg *ret)
{
	int r = vt_event_wait(nl, ret, timeout_ms);

	TEST_ASSERTF(r >= 0, "waiting for %s: %s", vt_cmd_name(cmd),
		     strerror(-r));
	TEST_ASSERTF(r == 1, "no %s within %d ms", vt_cmd_name(cmd),
		     timeout_ms);
	TEST_ASSERTF(ret->cmd == cmd, "got %s (seq %" PRIu64 "), expected %s",
		     vt_cmd_name(ret->cmd), ret->seq, vt_cmd_name(cmd));
	TEST_ASSERTF(ret->has_ids && ret->has_timestamp,
		     "%s without GENERATION, SEQ and TIMESTAMP",
		     vt_cmd_name(cmd));
}

void vt_event_next(struct vt_nl *nl, uint8_t cmd, int timeout_ms,
		   uint64_t *last_seq, struct vt_msg *ret)
{
	vt_event_expect(nl, cmd, timeout_ms, ret);
	TEST_ASSERTF(ret->seq == *last_seq + 1,
		     "%s has seq %" PRIu64 " after %" PRIu64, vt_cmd_name(cmd),
		     ret->seq, *last_seq);
	*last_seq = ret->seq;
}

void vt_event_none(struct vt_nl *nl, int timeout_ms)
{
	struct vt_msg m;
	int r = vt_event_wait(nl, &m, timeout_ms);

	TEST_ASSERTF(r == 0, "unexpected event: %s (%d)",
		     r > 0 ? vt_cmd_name(m.cmd) : strerror(-r), r);
}

void vt_drop_to_nobody(void)
{
	TEST_ASSERTF(setgroups(0, NULL) == 0 && setgid(VT_NOBODY) == 0 &&
		     setuid(VT_NOBODY) == 0, "dropping to nobody: %s",
		     strerror(errno));
	TEST_ASSERT(geteuid() == VT_NOBODY && getegid() == VT_NOBODY);
}

void vt_run_unprivileged(void (*fn)(void *arg), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	TEST_ASSERTF(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		vt_drop_to_nobody();
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid);
	TEST_ASSERTF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		     "the unprivileged child failed (status 0x%x)", status);
}
