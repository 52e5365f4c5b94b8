// SPDX-License-Identifier: GPL-2.0-only
/*
 * A stock kernel, without the "vas" family: what every pseries kernel
 * shows, read at the edges and made into a snapshot by core/observe.c.
 *
 * A picture reads the credits from sysfs and walks /proc: every process's
 * fd directory, and for a process holding the device its stat (start
 * time), status (uid), comm and maps. Pictures are taken when ingest asks
 * (kernel_source_observe_due() says 1): at start, OBSERVE_SETTLE_MS after
 * inotify says the device node was opened or closed, and every interval.
 * The interval catches what comes without an open (a forked child's
 * inherited files); nothing else wakes vasd. Under a watchdog the interval
 * rides on its pings (kernel_source_observe_set_tick()), so an idle vasd
 * wakes for the watchdog alone.
 *
 * The one fd for the event loop is an epoll fd over the inotify fd and a
 * timerfd, so ingest watches it as it watches a socket.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/observe.h"
#include "util/time-util.h"
#include "kernel-source-internal.h"
#include "log.h"

#define SYSFS_GZIP	"/sys/devices/virtual/misc/vas/vas0/gzip/"
/*
 * The open's notification comes before the file is in the opener's fd
 * table (fsnotify_open() runs in do_dentry_open()); the picture waits this
 * long, and bursts of opens share one picture.
 */
#define OBSERVE_SETTLE_MS	20
/* Opens not in the table yet are looked for again, this often at most. */
#define OBSERVE_RECHECK_MS	100
#define OBSERVE_RECHECKS	5

struct ks_observe {
	struct kernel_source ks;
	int epoll_fd;
	int inotify_fd;
	int timer_fd;
	unsigned int interval_ms;
	unsigned int tick_ms;		/* the interval rides on ticks this far apart; 0: own timer */
	uint64_t last_ms;		/* CLOCK_MONOTONIC of the last picture */

	struct observe_table table;
	bool seeded;
	uint64_t opens, closes;		/* notified since the last picture */
	unsigned int rechecks;

	struct observe_handle *handles;
	size_t n_handles, n_handles_alloc;
	struct observe_holder *holders;
	size_t n_holders;
	struct kernel_source_observe_stats stats;
};

#define OB(k) ((struct ks_observe *)(k))

static void ob_free(struct kernel_source *ks)
{
	struct ks_observe *o = OB(ks);

	if (o->epoll_fd >= 0)
		close(o->epoll_fd);
	if (o->inotify_fd >= 0)
		close(o->inotify_fd);
	if (o->timer_fd >= 0)
		close(o->timer_fd);
	observe_table_done(&o->table);
	free(o->handles);
	free(o->holders);
	free(o);
}

static int ob_get_fd(const struct kernel_source *ks)
{
	return ((const struct ks_observe *)ks)->epoll_fd;
}

static ssize_t ob_recv(struct kernel_source *ks, void *buf, size_t size)
{
	return -EOPNOTSUPP;	/* no messages: kernel_source_observe_due() */
}

static const struct kernel_source_ops observe_ops = {
	.free = ob_free,
	.get_fd = ob_get_fd,
	.recv = ob_recv,
	.name = "observe",
};

/* @ms from now; 0 disarms. */
static int arm(struct ks_observe *o, unsigned int ms)
{
	struct itimerspec its = {
		.it_value = {
			.tv_sec = ms / 1000,
			.tv_nsec = (long)(ms % 1000) * 1000000,
		},
	};

	if (timerfd_settime(o->timer_fd, 0, &its, NULL) < 0)
		return -errno;
	return 0;
}

/* Arm for @ms from now unless the timer runs out sooner already. */
static int arm_sooner(struct ks_observe *o, unsigned int ms)
{
	struct itimerspec cur;

	if (timerfd_gettime(o->timer_fd, &cur) < 0)
		return -errno;
	if ((cur.it_value.tv_sec || cur.it_value.tv_nsec) &&
	    (uint64_t)cur.it_value.tv_sec * 1000 +
	    (uint64_t)cur.it_value.tv_nsec / 1000000 <= ms)
		return 0;
	return arm(o, ms);
}

int kernel_source_observe_new(unsigned int interval_ms,
			      struct kernel_source **ret)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ks_observe *o;
	struct stat st;
	int r = 0;

	/* a kernel with neither is no pseries kernel with VAS */
	if (access(SYSFS_GZIP, F_OK) < 0)
		return -ENOENT;
	/*
	 * The kernel has it, this mount namespace not (PrivateDevices=).
	 * stat(), not access(): the device cgroup refuses even F_OK on a
	 * node it does not allow, which inotify_add_watch() reports below.
	 */
	if (stat(OBSERVE_DEVICE, &st) < 0)
		return -ENXIO;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->ks.ops = &observe_ops;
	o->interval_ms = interval_ms ? interval_ms : 1;
	o->table.next_id = 1;
	o->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	o->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	o->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (o->inotify_fd < 0 || o->timer_fd < 0 || o->epoll_fd < 0)
		r = -errno;
	if (r >= 0 && inotify_add_watch(o->inotify_fd, OBSERVE_DEVICE,
					IN_OPEN | IN_CLOSE) < 0)
		r = -errno;
	if (r >= 0 && epoll_ctl(o->epoll_fd, EPOLL_CTL_ADD, o->inotify_fd, &ev) < 0)
		r = -errno;
	if (r >= 0 && epoll_ctl(o->epoll_fd, EPOLL_CTL_ADD, o->timer_fd, &ev) < 0)
		r = -errno;
	/* the first picture is ingest's resync at attach; then the interval */
	if (r >= 0)
		r = arm(o, o->interval_ms);
	if (r < 0) {
		ob_free(&o->ks);
		return r;
	}
	*ret = &o->ks;
	return 0;
}

void kernel_source_observe_set_tick(struct kernel_source *ks,
				    unsigned int tick_ms)
{
	struct ks_observe *o = OB(ks);

	/* ticks further apart than the interval would stretch it */
	o->tick_ms = tick_ms <= o->interval_ms ? tick_ms : 0;
	/* before the first picture the timer holds the interval alone */
	if (arm(o, o->tick_ms ? 0 : o->interval_ms) < 0)
		o->tick_ms = 0;
}

int kernel_source_observe_tick(struct kernel_source *ks)
{
	struct ks_observe *o = OB(ks);
	uint64_t now_ms = now_ns(CLOCK_MONOTONIC) / 1000000;

	/*
	 * The first tick at least half a tick short of the interval: with
	 * ticks T apart, pictures come interval - T/2 .. interval + T/2 apart,
	 * and an interval that is a multiple of T keeps to it exactly.
	 */
	return o->tick_ms &&
	       now_ms - o->last_ms + o->tick_ms / 2 >= o->interval_ms;
}

bool kernel_source_is_observe(const struct kernel_source *ks)
{
	return ks->ops == &observe_ops;
}

int kernel_source_observe_due(struct kernel_source *ks)
{
	struct ks_observe *o = OB(ks);
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	uint64_t expirations;
	bool notified = false;
	ssize_t n;

	while ((n = read(o->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const void *)p;

			if (e->mask & IN_OPEN)
				o->opens++;
			if (e->mask & IN_CLOSE)
				o->closes++;
			/* the node went (module unloaded): attach again */
			if (e->mask & (IN_IGNORED | IN_Q_OVERFLOW))
				return e->mask & IN_IGNORED ? -ENODEV : -ENOBUFS;
			notified = true;
			p += sizeof(*e) + e->len;
		}
	}
	if (n < 0 && errno != EAGAIN)
		return -errno;
	if (notified) {
		int r = arm_sooner(o, OBSERVE_SETTLE_MS);

		if (r < 0)
			return r;
	}
	if (read(o->timer_fd, &expirations, sizeof(expirations)) ==
	    sizeof(expirations))
		return 1;
	return errno == EAGAIN ? 0 : -errno;
}

int kernel_source_observe_seed(struct kernel_source *ks,
			       const struct vasd_state *s)
{
	struct ks_observe *o = OB(ks);
	int r;

	if (o->seeded)
		return 0;
	r = observe_table_seed(&o->table, s);
	if (r >= 0)
		o->seeded = true;
	return r;
}

/* The file's text, NUL-terminated; a short file is read whole. */
static ssize_t read_text(int dirfd, const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1 &&
	       (n = read(fd, buf + total, size - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return total;
}

/* maps can be long: read it in chunks, count whole lines only. */
static uint32_t count_maps(int piddir)
{
	char buf[16384];
	size_t have = 0;
	uint32_t n = 0;
	ssize_t got;
	int fd;

	fd = openat(piddir, "maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((got = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		char *last;

		have += (size_t)got;
		buf[have] = '\0';
		last = strrchr(buf, '\n');
		if (!last) {
			have = 0;	/* a line longer than the buffer: no device path */
			continue;
		}
		*last = '\0';
		n += observe_count_maps(buf);
		have -= (size_t)(last + 1 - buf);
		memmove(buf, last + 1, have);
	}
	buf[have] = '\0';
	n += observe_count_maps(buf);
	close(fd);
	return n;
}

static struct observe_handle *handle_new(struct ks_observe *o)
{
	if (o->n_handles == o->n_handles_alloc) {
		size_t n = o->n_handles_alloc ? o->n_handles_alloc * 2 : 16;
		struct observe_handle *v = reallocarray(o->handles, n, sizeof(*v));

		if (!v)
			return NULL;
		o->handles = v;
		o->n_handles_alloc = n;
	}
	return &o->handles[o->n_handles++];
}

/*
 * The files of the device in one process; 0 with none. The owner's details
 * are read only for a holder. A process that exits meanwhile is skipped:
 * its files are closed, as the next picture shows.
 */
static int scan_process(struct ks_observe *o, int proc, const char *pid,
			uint32_t tgid, uint32_t *ret_mapped)
{
	char link[PATH_MAX], text[4096];
	struct observe_handle owner = { .tgid = tgid };
	size_t first = o->n_handles;
	struct dirent *de;
	DIR *fds;
	int piddir, fddir;

	*ret_mapped = 0;
	piddir = openat(proc, pid, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (piddir < 0)
		return 0;
	fddir = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fddir < 0) {
		if (errno == EACCES || errno == EPERM)
			o->stats.unreadable++;
		close(piddir);
		return 0;
	}
	fds = fdopendir(fddir);
	if (!fds) {
		close(fddir);
		close(piddir);
		return -ENOMEM;
	}
	while ((de = readdir(fds))) {
		struct observe_handle *h;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(fddir, de->d_name, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (!observe_link_is_device(link))
			continue;
		h = handle_new(o);
		if (!h) {
			closedir(fds);
			close(piddir);
			return -ENOMEM;
		}
		*h = owner;
		h->fd = atoi(de->d_name);
	}
	closedir(fds);

	if (o->n_handles > first) {
		if (read_text(piddir, "stat", text, sizeof(text)) < 0 ||
		    observe_parse_stat_start(text, &owner.start) < 0 ||
		    read_text(piddir, "status", text, sizeof(text)) < 0 ||
		    observe_parse_status_uid(text, &owner.uid) < 0 ||
		    read_text(piddir, "comm", text, sizeof(text)) < 0) {
			o->n_handles = first;	/* gone meanwhile */
		} else {
			observe_parse_comm(text, owner.comm);
			for (size_t i = first; i < o->n_handles; i++) {
				int32_t fd = o->handles[i].fd;

				o->handles[i] = owner;
				o->handles[i].fd = fd;
			}
			*ret_mapped = count_maps(piddir);
		}
	}
	close(piddir);
	return 0;
}

static int read_credits(uint32_t type, uint32_t *total, uint32_t *used)
{
	static const char *const dirs[VASD_N_TYPES] = {
		[VAS_WIN_TYPE_DEFAULT] = SYSFS_GZIP "default_capabilities/",
		[VAS_WIN_TYPE_QOS] = SYSFS_GZIP "qos_capabilities/",
	};
	char path[256], text[32];
	int r;

	snprintf(path, sizeof(path), "%snr_total_credits", dirs[type]);
	r = (int)read_text(AT_FDCWD, path, text, sizeof(text));
	if (r >= 0)
		r = observe_parse_credits(text, total);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%snr_used_credits", dirs[type]);
	r = (int)read_text(AT_FDCWD, path, text, sizeof(text));
	if (r >= 0)
		r = observe_parse_credits(text, used);
	return r;
}

int kernel_source_observe_picture(struct kernel_source *ks,
				  struct vas_window **windows,
				  size_t *n_allocated,
				  struct vasd_snapshot *snap)
{
	struct ks_observe *o = OB(ks);
	uint64_t start = now_ns(CLOCK_MONOTONIC), missed, pending;
	bool has_total[VASD_N_TYPES] = { false };
	uint32_t total[VASD_N_TYPES] = { 0 }, used[VASD_N_TYPES] = { 0 };
	uint32_t *tgids = NULL, *mapped = NULL, added, removed;
	size_t n_maps = 0, n_maps_alloc = 0;
	struct dirent *de;
	DIR *proc;
	int r = 0;

	o->last_ms = start / 1000000;
	for (uint32_t t = 0; t < VASD_N_TYPES; t++)
		has_total[t] = read_credits(t, &total[t], &used[t]) >= 0;

	proc = opendir("/proc");
	if (!proc)
		return -errno;
	o->n_handles = 0;
	o->stats.unreadable = 0;
	while (r >= 0 && (de = readdir(proc))) {
		uint32_t m;
		char *end;
		unsigned long tgid = strtoul(de->d_name, &end, 10);

		if (de->d_name[0] < '1' || de->d_name[0] > '9' || *end ||
		    tgid > UINT32_MAX || tgid == (unsigned long)getpid())
			continue;
		r = scan_process(o, dirfd(proc), de->d_name, (uint32_t)tgid, &m);
		if (r >= 0 && m) {
			if (n_maps == n_maps_alloc) {
				size_t n = n_maps_alloc ? n_maps_alloc * 2 : 16;
				uint32_t *a = reallocarray(tgids, n, sizeof(*a));
				uint32_t *b = a ? reallocarray(mapped, n, sizeof(*b)) : NULL;

				if (a)
					tgids = a;
				if (!b) {
					r = -ENOMEM;
					break;
				}
				mapped = b;
				n_maps_alloc = n;
			}
			tgids[n_maps] = (uint32_t)tgid;
			mapped[n_maps++] = m;
		}
	}
	closedir(proc);

	if (r >= 0)
		r = observe_table_update(&o->table, o->handles, o->n_handles,
					 now_ns(CLOCK_REALTIME), &added, &removed);
	if (r >= 0) {
		free(o->holders);
		o->holders = NULL;
		r = observe_holders(o->handles, o->n_handles, tgids, mapped,
				    n_maps, &o->holders, &o->n_holders);
	}
	free(tgids);
	free(mapped);
	if (r >= 0 && *n_allocated < o->table.n) {
		struct vas_window *w = reallocarray(*windows, o->table.n,
						    sizeof(*w));

		if (!w)
			r = -ENOMEM;
		else {
			*windows = w;
			*n_allocated = o->table.n;
		}
	}
	if (r < 0)
		return r;
	observe_snapshot(&o->table, has_total, total, *windows, snap);

	observe_account(o->opens, o->closes, added, removed, &missed, &pending);
	o->stats.missed += missed;
	o->stats.opens += o->opens;
	o->stats.closes += o->closes;
	o->stats.pictures++;
	o->stats.windows = (uint32_t)o->table.n;
	o->stats.has_credits = has_total[0] && has_total[1];
	for (uint32_t t = 0; t < VASD_N_TYPES; t++) {
		o->stats.total[t] = total[t];
		o->stats.used[t] = used[t];
	}
	o->stats.last_us = (now_ns(CLOCK_MONOTONIC) - start) / 1000;
	if (missed)
		log_notice("Observe: %llu window%s opened and closed between two pictures (missed; %llu in all)",
			   (unsigned long long)missed, missed == 1 ? " was" : "s were",
			   (unsigned long long)o->stats.missed);
	/* opens whose files are not in a table yet: look again soon */
	o->opens = pending;
	o->closes = 0;
	if (pending && o->rechecks < OBSERVE_RECHECKS) {
		o->rechecks++;
		r = arm(o, OBSERVE_RECHECK_MS);
	} else {
		if (pending)
			o->stats.unseen += pending;
		o->opens = 0;
		o->rechecks = 0;
		r = arm(o, o->tick_ms ? 0 : o->interval_ms);
	}
	return r;
}

void kernel_source_observe_get_stats(const struct kernel_source *ks,
				     struct kernel_source_observe_stats *ret)
{
	*ret = ((const struct ks_observe *)ks)->stats;
}

const struct observe_holder *
kernel_source_observe_holders(const struct kernel_source *ks, size_t *ret_n)
{
	const struct ks_observe *o = (const struct ks_observe *)ks;

	*ret_n = o->n_holders;
	return o->holders;
}
