// SPDX-License-Identifier: GPL-2.0-only
/*
 * Inhibitor locks, as logind's: Inhibit() returns the write end of a pipe
 * and vasd watches the read end; when every copy of the write end is closed
 * (the client closes it, or dies) the read end sees EOF and the lock is
 * released. "delay" locks hold a migration up to InhibitDelayMaxUSec;
 * "block" locks veto it (DESIGN.md §5): the coordinator is told of each,
 * and of its release, which it records before the client hears of it.
 *
 * A client (a bus connection) holds at most INHIBITORS_PER_CLIENT locks, a
 * uid other than root at most --max-locks-per-user, and vasd at most
 * VASD_BUS_LOCKS_MAX, each one file descriptor of vasd's: thousands of
 * clients, within the unit's LimitNOFILE=, and no one user can take them
 * all. A block lock vetoes every migration while it is held, so it is a
 * privilege: root's, or the --block-group's members' (their groups as the
 * bus reports them); anyone else gets AccessDenied and may take a delay
 * lock. Root can end any lock with ReleaseLock(id), the id the veto line
 * names (docs/bus.md).
 *
 * Each lock taken and released is two events in the ledger: a uid other
 * than root takes at most LOCK_RATE a second (LOCK_BURST at once), so that
 * a take/close loop cannot grow the ledger by thousands of events a second
 * (issue 13, finding 4: 2500 a second, 1.6 GB an hour).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bus/internal.h"
#include "core/share.h"
#include "util/time-util.h"
#include "util/list.h"
#include "log.h"
#include "message-ids.h"

#define INHIBITORS_PER_CLIENT	16
#define LOCK_RATE		10	/* locks a second, a uid other than root */
#define LOCK_BURST		64	/* a user may take its --max-locks-per-user (64) at once */
#define INHIBIT_TEXT_MAX	255	/* who, why */

struct bus_inhibitor {
	LIST_FIELDS(struct bus_inhibitor, inhibitors);
	struct vasd_bus *bus;
	char *who;
	char *why;
	char *sender;			/* unique name of the client */
	enum vasd_lock_mode mode;
	uint64_t id;			/* the coordinator's; 0 until it took it */
	uid_t uid;
	pid_t pid;
	int fd;				/* read end */
	struct event *watch;
};

static void inhibitor_free(struct bus_inhibitor *i)
{
	struct vasd_bus *b = i->bus;

	LIST_REMOVE(inhibitors, b->inhibitors, i);
	b->n_inhibitors--;
	if (i->watch)
		event_free(i->watch);
	if (i->fd >= 0)
		close(i->fd);
	free(i->who);
	free(i->why);
	free(i->sender);
	free(i);
}

/* The client let go (closed, died, or never got it): the coordinator learns. */
static void inhibitor_release(struct bus_inhibitor *i)
{
	struct vasd_bus *b = i->bus;
	int r;

	if (i->id) {
		r = coordinator_lock_released(b->coordinator, i->id);
		if (r < 0)
			log_warning_errno(r, "Failed to record the release of the %s inhibitor of %s: %s",
					  vasd_lock_mode_to_string(i->mode), i->who, strerror(-r));
	}
	inhibitor_free(i);
	bus_sent(b);
}

static void on_inhibitor_fd(evutil_socket_t fd, short what, void *userdata)
{
	struct bus_inhibitor *i = userdata;
	char buf[64];
	ssize_t n;

	/* what a client writes means nothing; EOF is the release */
	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0);
	if (n < 0 && errno == EAGAIN)
		return;
	log_debug("Released the %s inhibitor of %s (%s, pid %d): %s",
		  vasd_lock_mode_to_string(i->mode), i->who, i->sender,
		  (int)i->pid, i->why);
	inhibitor_release(i);
}

/* The mode is parsed here, once: from here on it is the core's enum. */
static int read_args(sd_bus_message *m, const char **who, const char **why,
		     enum vasd_lock_mode *ret_mode, sd_bus_error *error)
{
	const char *what, *mode;
	int r;

	r = sd_bus_message_read(m, "ssss", &what, who, why, &mode);
	if (r < 0)
		return r;
	if (strcmp(what, "migration") != 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Cannot inhibit '%s': vasd inhibits 'migration' only", what);
	r = vasd_lock_mode_from_string(mode);
	if (r < 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Unknown inhibitor mode '%s': expected 'delay' or 'block'", mode);
	*ret_mode = r;
	if (!**who || strlen(*who) > INHIBIT_TEXT_MAX || strlen(*why) > INHIBIT_TEXT_MAX)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "'who' must name the client and 'why' may be empty; each at most %d bytes",
					 INHIBIT_TEXT_MAX);
	return 0;
}

/*
 * uid's name for the veto line; "" when it has none. An NSS lookup: on
 * the partitions vasd runs on, files or a local cache (sssd, nscd), as
 * for logind's.
 */
static void user_of(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *found = NULL;
	char scratch[1024];

	buf[0] = '\0';
	if (getpwuid_r(uid, &pw, scratch, sizeof(scratch), &found) == 0 && found)
		snprintf(buf, size, "%s", found->pw_name);
}

static int inhibit_as(struct vasd_bus *b, sd_bus_message *m,
		      const struct bus_caller *caller, sd_bus_error *error)
{
	const char *who, *why, *sender = sd_bus_message_get_sender(m);
	enum vasd_lock_mode mode;
	char comm[VAS_COMM_MAX], user[64];
	struct bus_inhibitor *i;
	unsigned int mine = 0;
	uint64_t id;
	int fds[2], r;
	uid_t uid = caller->uid;
	pid_t pid = caller->pid;

	r = sd_bus_message_rewind(m, true);
	if (r >= 0)
		r = read_args(m, &who, &why, &mode, error);
	if (r < 0)
		return r;
	LIST_FOREACH(inhibitors, j, b->inhibitors)
		if (strcmp(j->sender, sender) == 0)
			mine++;
	if (mode == VASD_LOCK_BLOCK && uid != 0 &&
	    !(b->config.have_block_gid &&
	      bus_caller_in_group(caller, b->config.block_gid)))
		return sd_bus_error_setf(error, VASD_ERROR_ACCESS_DENIED,
					 "A block lock vetoes every migration: only root%s may take one (the caller is uid %u); take a delay lock",
					 b->config.have_block_gid ?
					 " and the block group's members" : "",
					 (unsigned int)uid);
	if (uid != 0) {
		uint64_t now = now_ns(CLOCK_MONOTONIC), wait = 0;

		if (!b->lock_rate) {
			r = share_table_new(&(struct share_config) {
						.burst = LOCK_BURST,
						.rate_per_sec = LOCK_RATE,
						.max_uids = 1024,
					    }, &b->lock_rate);
			if (r < 0)
				return r;
		}
		if (!share_admit(b->lock_rate, (uint32_t)uid, now, &wait))
			return sd_bus_error_setf(error, VASD_ERROR_TOO_MANY_INHIBITORS,
						 "uid %u takes inhibitor locks faster than %d a second; try again in %" PRIu64 " ms",
						 (unsigned int)uid, LOCK_RATE, wait / 1000000 + 1);
		share_charge(b->lock_rate, (uint32_t)uid, now, 1);
	}
	if (mine >= INHIBITORS_PER_CLIENT)
		return sd_bus_error_setf(error, VASD_ERROR_TOO_MANY_INHIBITORS,
					 "This client holds %u inhibitor locks already, the most one client may hold; close one first",
					 mine);
	if (uid != 0) {
		unsigned int users = 0;

		LIST_FOREACH(inhibitors, j, b->inhibitors)
			users += j->uid == uid;
		if (users >= b->config.locks_per_user)
			return sd_bus_error_setf(error, VASD_ERROR_TOO_MANY_INHIBITORS,
						 "uid %u holds %u inhibitor locks already, the most one user may hold (vasd --max-locks-per-user); close one first",
						 (unsigned int)uid, users);
	}
	if (b->n_inhibitors >= VASD_BUS_LOCKS_MAX)
		return sd_bus_error_setf(error, VASD_ERROR_TOO_MANY_INHIBITORS,
					 "vasd holds %d inhibitor locks already, the most it takes",
					 VASD_BUS_LOCKS_MAX);

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	i = calloc(1, sizeof(*i));
	if (!i) {
		close(fds[0]);
		close(fds[1]);
		return -ENOMEM;
	}
	i->bus = b;
	i->fd = fds[0];
	i->uid = uid;
	i->pid = pid;
	i->mode = mode;
	LIST_PREPEND(inhibitors, b->inhibitors, i);
	b->n_inhibitors++;
	i->who = strdup(who);
	i->why = strdup(why);
	i->sender = strdup(sender);
	i->watch = event_new(b->base, fds[0], EV_READ | EV_PERSIST, on_inhibitor_fd, i);
	if (!i->who || !i->why || !i->sender || !i->watch ||
	    fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0 || event_add(i->watch, NULL) < 0) {
		inhibitor_free(i);
		close(fds[1]);
		return -ENOMEM;
	}
	/* recorded before the client holds it */
	bus_comm_of(pid, comm);
	user_of(uid, user, sizeof(user));
	id = b->last_lock + 1;
	r = coordinator_lock_taken(b->coordinator, id, i->mode, (uint32_t)pid,
				   (uint32_t)uid, user, comm, who, why);
	if (r < 0) {
		inhibitor_free(i);
		close(fds[1]);
		return sd_bus_error_setf(error, VASD_ERROR_LEDGER,
					 "vasd cannot record the inhibitor lock in its ledger: %s",
					 strerror(-r));
	}
	i->id = b->last_lock = id;
	/* the reply holds its own copy */
	r = sd_bus_reply_method_return(m, "h", fds[1]);
	close(fds[1]);
	if (r < 0) {
		inhibitor_release(i);
		return r;
	}
	log_debug("Took a %s inhibitor for %s (%s, uid %u, pid %d): %s",
		  vasd_lock_mode_to_string(i->mode), who, sender,
		  (unsigned int)uid, (int)pid, why);
	return 0;
}

int bus_method_inhibit(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *who, *why;
	enum vasd_lock_mode mode;
	int r;

	/* refuse bad arguments before asking the bus who called */
	r = read_args(m, &who, &why, &mode, error);
	if (r < 0)
		return r;
	return bus_query_sender(userdata, m, inhibit_as);
}

static int release_as(struct vasd_bus *b, sd_bus_message *m,
		      const struct bus_caller *caller, sd_bus_error *error)
{
	struct bus_inhibitor *found = NULL;
	char comm[VAS_COMM_MAX];
	uint64_t id;
	int r;

	r = sd_bus_message_rewind(m, true);
	if (r >= 0)
		r = sd_bus_message_read(m, "t", &id);
	if (r < 0)
		return r;
	if (caller->uid != 0)
		return sd_bus_error_setf(error, VASD_ERROR_ACCESS_DENIED,
					 "Only root may release another's lock (the caller is uid %u)",
					 (unsigned int)caller->uid);
	LIST_FOREACH(inhibitors, i, b->inhibitors)
		if (i->id == id)
			found = i;
	if (!found)
		return sd_bus_error_setf(error, VASD_ERROR_NO_SUCH_LOCK,
					 "No inhibitor lock %" PRIu64 " is held", id);
	bus_comm_of(caller->pid, comm);
	{
		const struct log_field f[] = {
			LOG_U64("VASD_LOCK", id),
			LOG_STRING("VASD_LOCK_MODE", vasd_lock_mode_to_string(found->mode)),
			LOG_U64("VASD_CLIENT_PID", found->pid),
			LOG_U64("VASD_CLIENT_UID", found->uid),
			LOG_STRING("VASD_CLIENT_WHO", found->who),
			LOG_STRING("VASD_CLIENT_WHY", found->why),
			LOG_U64("VASD_CALLER_PID", caller->pid),
			LOG_STRING("VASD_CALLER_COMM", comm),
		};

		log_struct(LOG_NOTICE, VASD_MESSAGE_LOCK_RELEASED_BY_ROOT, f,
			   "Root (pid %d, %s) released the %s lock %" PRIu64 " of uid %u, pid %d (%s): %s",
			   (int)caller->pid, comm, vasd_lock_mode_to_string(found->mode),
			   id, (unsigned int)found->uid, (int)found->pid, found->who,
			   found->why);
	}
	/*
	 * vasd drops its end: the holder keeps a pipe nobody reads, and the
	 * coordinator records the release as when a holder lets go.
	 */
	inhibitor_release(found);
	return sd_bus_reply_method_return(m, "");
}

int bus_method_release_lock(sd_bus_message *m, void *userdata,
			    sd_bus_error *error)
{
	uint64_t id;
	int r;

	/* refuse bad arguments before asking the bus who called */
	r = sd_bus_message_read(m, "t", &id);
	if (r < 0)
		return r;
	return bus_query_sender(userdata, m, release_as);
}

int bus_method_list_inhibitors(sd_bus_message *m, void *userdata,
			       sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct vasd_bus *b = userdata;
	int r;

	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(ssssuu)");
	LIST_FOREACH(inhibitors, i, b->inhibitors)
		if (r >= 0)
			r = sd_bus_message_append(reply, "(ssssuu)",
						  "migration", i->who, i->why,
						  vasd_lock_mode_to_string(i->mode),
						  (uint32_t)i->uid,
						  (uint32_t)i->pid);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

void bus_inhibitors_free(struct vasd_bus *b)
{
	b->lock_rate = share_table_free(b->lock_rate);
	while (b->inhibitors)
		inhibitor_free(b->inhibitors);
}
