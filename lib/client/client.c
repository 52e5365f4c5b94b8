// SPDX-License-Identifier: GPL-2.0-only
/*
 * The protocol of README.md's "Writing a client of vasd", for one client:
 * its bus connection, its lock, its state through migrations and vasd's
 * restarts. Every entry point takes the client's mutex; what the
 * application must hear is queued as notices and delivered once the mutex
 * is let go (deliver()), so that a callback may call back in, from any
 * thread, and no lock of ours is held while the application's code runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define VASD_NAME	"org.vasd1"
#define VASD_PATH	"/org/vasd1"
#define VASD_MANAGER	"org.vasd1.Manager"

#define EXPORT __attribute__((visibility("default")))

static const char *const mode_names[] = {
	[VASCLIENT_DELAY] = "delay",
	[VASCLIENT_BLOCK] = "block",
	[VASCLIENT_DELAY_NEVER_RELEASE] = "delay",
};

static const char *const event_names[] = {
	[VASCLIENT_LOCK_TAKEN] = "lock-taken",
	[VASCLIENT_LOCK_TAKEN_AGAIN] = "lock-taken-again",
	[VASCLIENT_LOCK_RELEASED] = "lock-released",
	[VASCLIENT_LOCK_LOST] = "lock-lost",
	[VASCLIENT_PREPARE_RECEIVED] = "prepare-received",
	[VASCLIENT_RESUME_RECEIVED] = "resume-received",
	[VASCLIENT_MIGRATION_IN_PROGRESS] = "migration-in-progress",
	[VASCLIENT_INHIBIT_FAILED] = "inhibit-failed",
	[VASCLIENT_INHIBIT_RETRY] = "inhibit-retry",
	[VASCLIENT_VASD_GONE] = "vasd-gone",
	[VASCLIENT_VASD_STARTED] = "vasd-started",
	[VASCLIENT_CLIENT_ERROR] = "client-error",
};

EXPORT const char *vasclient_event_name(enum vasclient_event event)
{
	if ((unsigned int)event >= sizeof(event_names) / sizeof(event_names[0]))
		return NULL;
	return event_names[event];
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* xorshift64: the jitter needs no quality, only to differ between clients */
static uint64_t next_random(struct vasclient *c)
{
	uint64_t x = c->rand;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	c->rand = x;
	return x;
}

/* A notice that cannot be queued (no memory) is lost; the protocol goes on. */
static struct notice *notice_add(struct vasclient *c, int kind, const char *detail)
{
	struct notice *n;

	if (c->n_notices == c->notices_size) {
		size_t size = c->notices_size ? c->notices_size * 2 : 8;
		struct notice *p = realloc(c->notices, size * sizeof(*p));

		if (!p)
			return NULL;
		c->notices = p;
		c->notices_size = size;
	}
	n = &c->notices[c->n_notices];
	*n = (struct notice){ .kind = kind };
	if (detail) {
		n->detail = strdup(detail);
		if (!n->detail)
			return NULL;
	}
	c->n_notices++;
	return n;
}

static void notify(struct vasclient *c, enum vasclient_event event, const char *detail,
		   uint64_t value)
{
	struct notice *n;

	if (!c->event)
		return;
	n = notice_add(c, NOTICE_EVENT, detail);
	if (n) {
		n->event = event;
		n->value = value;
	}
}

static void notify_error(struct vasclient *c, const char *what, int error)
{
	notify(c, VASCLIENT_CLIENT_ERROR, what, (uint64_t)-error);
}

static void unlock_and_deliver(struct vasclient *c);
static void take_lock(struct vasclient *c, bool again);
static void drained_locked(struct vasclient *c);

void vasclient_close_lock(struct vasclient *c)
{
	if (c->lock_fd >= 0) {
		close(c->lock_fd);
		c->lock_fd = -1;
	}
}

static bool releases(const struct vasclient *c)
{
	return c->mode == VASCLIENT_DELAY;
}

static void release_lock(struct vasclient *c)
{
	if (c->lock_fd < 0)
		return;
	vasclient_close_lock(c);
	notify(c, VASCLIENT_LOCK_RELEASED, NULL, 0);
}

/* Stop submitting: the application drains, or has nothing to. */
static void quiesce(struct vasclient *c, const char *migration)
{
	c->state = VASCLIENT_DRAINING;
	c->resume_pending = false;
	free(c->migration);
	c->migration = migration ? strdup(migration) : NULL;
	if (!c->drain) {
		drained_locked(c);
		return;
	}
	if (!notice_add(c, NOTICE_DRAIN, migration))
		/* the application cannot be told: vasd must hear all the same */
		drained_locked(c);
}

/* The migration is over for us: a new lock, and the application goes on. */
static void resume_work(struct vasclient *c)
{
	c->resume_pending = false;
	c->state = VASCLIENT_RUNNING;
	take_lock(c, true);
	if (c->resume)
		notice_add(c, NOTICE_RESUME, c->migration);
}

static void drained_locked(struct vasclient *c)
{
	if (releases(c))
		release_lock(c);
	c->state = VASCLIENT_QUIESCED;
	if (c->resume_pending)
		resume_work(c);
}

static void retry_later(struct vasclient *c)
{
	uint64_t d = vasclient_backoff_usec(++c->refusals, next_random(c));

	c->retry_at = now_usec() + d;
	notify(c, VASCLIENT_INHIBIT_RETRY, NULL, d);
	vasclient_wake(c);
}

/*
 * Whether a failed Inhibit is worth asking again: vasd full or absent, or
 * the bus slow, may change; a refusal of the caller (AccessDenied: a block
 * lock without the privilege), or of the call, will not.
 */
static bool worth_retrying(const sd_bus_error *e)
{
	static const char *const final[] = {
		"org.vasd1.Error.AccessDenied",
		SD_BUS_ERROR_ACCESS_DENIED,
		SD_BUS_ERROR_INVALID_ARGS,
		SD_BUS_ERROR_UNKNOWN_METHOD,
		SD_BUS_ERROR_UNKNOWN_OBJECT,
		SD_BUS_ERROR_UNKNOWN_INTERFACE,
	};

	for (size_t i = 0; i < sizeof(final) / sizeof(final[0]); i++)
		if (sd_bus_error_has_name(e, final[i]))
			return false;
	return true;
}

/*
 * A migration that began before our match was in place was announced to
 * others only: join it as if we had been told. The kernel's phase says so
 * for a migration the kernel began; vasd's state for one drmgr's pre hook
 * began, before the kernel knows of it.
 */
static void join(struct vasclient *c, sd_bus_message *m)
{
	static const char *const under_way[] = {
		"prepare", "suspending", "suspended",	/* MigrationPhase */
		"quiescing", "quiesced",		/* MigrationState */
	};
	const char *value;

	if (sd_bus_message_is_method_error(m, NULL) ||
	    sd_bus_message_read(m, "v", "s", &value) < 0 ||
	    c->state != VASCLIENT_RUNNING)
		return;
	for (size_t i = 0; i < sizeof(under_way) / sizeof(under_way[0]); i++)
		if (strcmp(value, under_way[i]) == 0) {
			notify(c, VASCLIENT_MIGRATION_IN_PROGRESS, value, 0);
			quiesce(c, NULL);
			return;
		}
}

static int on_phase_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct vasclient *c = userdata;

	c->phase_call = sd_bus_slot_unref(c->phase_call);
	join(c, m);
	return 0;
}

static int on_state_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct vasclient *c = userdata;

	c->state_call = sd_bus_slot_unref(c->state_call);
	join(c, m);
	return 0;
}

static void check_phase(struct vasclient *c)
{
	int r = 0;

	if (!c->phase_call)
		r = sd_bus_call_method_async(c->bus, &c->phase_call, VASD_NAME, VASD_PATH,
					     "org.freedesktop.DBus.Properties", "Get",
					     on_phase_reply, c, "ss", VASD_MANAGER,
					     "MigrationPhase");
	if (r >= 0 && !c->state_call)
		r = sd_bus_call_method_async(c->bus, &c->state_call, VASD_NAME, VASD_PATH,
					     "org.freedesktop.DBus.Properties", "Get",
					     on_state_reply, c, "ss", VASD_MANAGER,
					     "MigrationState");
	if (r < 0)
		notify_error(c, "phase-check", r);
}

static int on_inhibit_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct vasclient *c = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	bool again = c->lock_again;
	int fd, r;

	c->inhibit_call = sd_bus_slot_unref(c->inhibit_call);
	c->lock_again = false;
	if (e) {
		/*
		 * vasd is not running (ServiceUnknown), or refused the lock.
		 * Carry on uncoordinated meanwhile: the accelerator works
		 * without vasd. NameOwnerChanged says when a new vasd is
		 * there; until then, ask again later.
		 */
		notify(c, VASCLIENT_INHIBIT_FAILED, e->name, 0);
		if (worth_retrying(e))
			retry_later(c);
		return 0;
	}
	c->refusals = 0;
	r = sd_bus_message_read(m, "h", &fd);
	if (r >= 0) {
		/* the message owns fd and closes it when freed: keep a copy */
		c->lock_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (c->lock_fd < 0)
			r = -errno;
	}
	if (r < 0) {
		notify(c, VASCLIENT_INHIBIT_FAILED, NULL, (uint64_t)-r);
		return 0;
	}
	notify(c, again ? VASCLIENT_LOCK_TAKEN_AGAIN : VASCLIENT_LOCK_TAKEN,
	       mode_names[c->mode], 0);
	/* the answer came after a migration was announced and drained */
	if (c->state == VASCLIENT_QUIESCED && releases(c))
		release_lock(c);
	/* after a resume we know where things stand; after a (re)start, ask */
	if (!again)
		check_phase(c);
	return 0;
}

/* again: the lock follows a migration */
static void take_lock(struct vasclient *c, bool again)
{
	int r;

	/* one call at a time; NameOwnerChanged cancels one sent to an old vasd */
	if (c->inhibit_call || c->lock_fd >= 0 || !c->subscribed)
		return;
	c->retry_at = 0;
	r = sd_bus_call_method_async(c->bus, &c->inhibit_call, VASD_NAME, VASD_PATH,
				     VASD_MANAGER, "Inhibit", on_inhibit_reply, c,
				     "ssss", "migration", c->who, c->why, mode_names[c->mode]);
	if (r < 0) {
		notify(c, VASCLIENT_INHIBIT_FAILED, NULL, (uint64_t)-r);
		retry_later(c);
	} else {
		c->lock_again = again;
		vasclient_wake(c);
	}
}

static int on_prepare_for_migration(sd_bus_message *m, void *userdata,
				    sd_bus_error *ret_error)
{
	struct vasclient *c = userdata;
	const char *name;
	int active, r;

	r = sd_bus_message_read(m, "bs", &active, &name);
	if (r < 0) {
		notify_error(c, "bad-signal", r);
		return 0;
	}
	notify(c, active ? VASCLIENT_PREPARE_RECEIVED : VASCLIENT_RESUME_RECEIVED, name, 0);
	if (active) {
		if (c->state == VASCLIENT_RUNNING)
			quiesce(c, name);
		else
			c->resume_pending = false;
	} else if (c->state == VASCLIENT_QUIESCED) {
		resume_work(c);
	} else if (c->state == VASCLIENT_DRAINING) {
		/* finish the drain and give the lock back first */
		c->resume_pending = true;
	}
	return 0;
}

/*
 * vasd came or went. Its locks are pipes it holds the read end of: when it
 * exits they are gone, whatever we hold. A new vasd knows of no lock.
 */
static int on_name_owner_changed(sd_bus_message *m, void *userdata,
				 sd_bus_error *ret_error)
{
	struct vasclient *c = userdata;
	const char *name, *old_owner, *new_owner;
	int r;

	r = sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner);
	if (r < 0) {
		notify_error(c, "bad-signal", r);
		return 0;
	}
	if (*old_owner) {
		notify(c, VASCLIENT_VASD_GONE, old_owner, 0);
		c->inhibit_call = sd_bus_slot_unref(c->inhibit_call);
		c->phase_call = sd_bus_slot_unref(c->phase_call);
		c->state_call = sd_bus_slot_unref(c->state_call);
		if (c->lock_fd >= 0) {
			vasclient_close_lock(c);
			notify(c, VASCLIENT_LOCK_LOST, NULL, 0);
		}
	}
	if (*new_owner) {
		notify(c, VASCLIENT_VASD_STARTED, new_owner, 0);
		c->refusals = 0;
		c->retry_at = 0;
		/*
		 * While a migration is on, wait for its end instead: a lock
		 * taken now would not be waited for, and the new vasd tells
		 * the clients again (docs/migration.md, "Restart").
		 */
		if (c->state == VASCLIENT_RUNNING)
			take_lock(c, false);
	}
	return 0;
}

static int on_match_installed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct vasclient *c = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (e) {
		/* without the match no migration is heard: stay uncoordinated */
		notify(c, VASCLIENT_CLIENT_ERROR, "subscribe", EPERM);
		return 0;
	}
	c->subscribed = true;
	take_lock(c, false);
	return 0;
}

/*
 * Both matches are asked for at once; the bus answers AddMatch in order, so
 * the second answer means both hold.
 */
static int subscribe(struct vasclient *c)
{
	int r;

	r = sd_bus_add_match_async(c->bus, NULL,
				   "type='signal',sender='org.freedesktop.DBus',"
				   "path='/org/freedesktop/DBus',"
				   "interface='org.freedesktop.DBus',"
				   "member='NameOwnerChanged',arg0='" VASD_NAME "'",
				   on_name_owner_changed, NULL, c);
	if (r < 0)
		return r;
	return sd_bus_match_signal_async(c->bus, NULL, VASD_NAME, VASD_PATH,
					 VASD_MANAGER, "PrepareForMigration",
					 on_prepare_for_migration, on_match_installed, c);
}

/*
 * fork() ran atfork.c's child handler, which marks every client. Not
 * getpid() != c->pid: that is a system call on every entry (a client's
 * drain takes three), and a child made without the handler (_Fork(), a
 * bare clone) may only call async-signal-safe functions, which ours are not.
 */
static bool is_child(const struct vasclient *c)
{
	return c->forked;
}

/* Every entry point but unref: the mutex, and not in a child. */
static int enter(struct vasclient *c)
{
	if (!c)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	if (is_child(c)) {
		pthread_mutex_unlock(&c->lock);
		return -ECHILD;
	}
	return 0;
}

EXPORT int vasclient_new(vasclient **ret, const char *who, const char *why,
			 enum vasclient_mode mode)
{
	struct vasclient *c;
	int r;

	if (!ret || !who || !*who || !why || (unsigned int)mode > VASCLIENT_DELAY_NEVER_RELEASE)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	c->pid = getpid();
	c->mode = mode;
	c->lock_fd = -1;
	c->wake_fd = -1;
	c->watched_fd = -1;
	c->rand = ((uint64_t)c->pid << 32) ^ now_usec() ^ (uint64_t)(uintptr_t)c;
	if (!c->rand)
		c->rand = 1;
	c->who = strdup(who);
	c->why = strdup(why);
	if (!c->who || !c->why) {
		r = -ENOMEM;
		goto fail;
	}
	r = vasclient_register(c);
	if (r < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	free(c->who);
	free(c->why);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return r;
}

EXPORT vasclient *vasclient_unref(vasclient *c)
{
	bool child;

	if (!c)
		return NULL;
	child = is_child(c);
	/* the thread first: it uses the rest */
	if (!child)
		vasclient_thread_stop(c);
	/* the lock before leaving the registry: a fork meanwhile must not copy it */
	pthread_mutex_lock(&c->lock);
	vasclient_close_lock(c);
	pthread_mutex_unlock(&c->lock);
	vasclient_unregister(c);
	c->inhibit_call = sd_bus_slot_unref(c->inhibit_call);
	c->phase_call = sd_bus_slot_unref(c->phase_call);
	c->state_call = sd_bus_slot_unref(c->state_call);
	vasclient_close_lock(c);
	/* a child's copy of the connection is the parent's: only let go of it */
	c->bus = child ? sd_bus_unref(c->bus) : sd_bus_flush_close_unref(c->bus);
	for (size_t i = 0; i < c->n_notices; i++)
		free(c->notices[i].detail);
	free(c->notices);
	free(c->migration);
	free(c->who);
	free(c->why);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return NULL;
}

EXPORT int vasclient_set_callbacks(vasclient *c, vasclient_drain_fn drain,
				   vasclient_resume_fn resume, vasclient_event_fn event,
				   void *userdata)
{
	int r = enter(c);

	if (r < 0)
		return r;
	if (c->started) {
		r = -EBUSY;
	} else {
		c->drain = drain;
		c->resume = resume;
		c->event = event;
		c->userdata = userdata;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

static int start_locked(struct vasclient *c)
{
	int r;

	if (c->started)
		return -EBUSY;
	r = sd_bus_open_system_with_description(&c->bus, c->who);
	if (r >= 0)
		r = subscribe(c);
	if (r < 0) {
		c->bus = sd_bus_unref(c->bus);
		return r;
	}
	c->started = true;
	return 0;
}

EXPORT int vasclient_start(vasclient *c)
{
	int r = enter(c);

	if (r < 0)
		return r;
	r = start_locked(c);
	pthread_mutex_unlock(&c->lock);
	return r;
}

EXPORT int vasclient_start_thread(vasclient *c)
{
	int r = enter(c);

	if (r < 0)
		return r;
	r = start_locked(c);
	pthread_mutex_unlock(&c->lock);
	if (r < 0)
		return r;
	/* without our mutex: the thread's lock comes first */
	r = vasclient_thread_start(c);
	if (r < 0) {
		pthread_mutex_lock(&c->lock);
		c->bus = sd_bus_flush_close_unref(c->bus);
		c->started = false;
		c->subscribed = false;
		pthread_mutex_unlock(&c->lock);
	}
	return r;
}

EXPORT int vasclient_get_fd(vasclient *c)
{
	int r = enter(c);

	if (r < 0)
		return r;
	r = c->bus ? sd_bus_get_fd(c->bus) : -ENOTCONN;
	pthread_mutex_unlock(&c->lock);
	return r;
}

EXPORT int vasclient_get_events(vasclient *c)
{
	int r = enter(c);

	if (r < 0)
		return r;
	r = c->bus ? sd_bus_get_events(c->bus) : -ENOTCONN;
	pthread_mutex_unlock(&c->lock);
	return r;
}

EXPORT int vasclient_get_timeout(vasclient *c, uint64_t *usec)
{
	uint64_t t = UINT64_MAX;
	int r;

	if (!usec)
		return -EINVAL;
	r = enter(c);
	if (r < 0)
		return r;
	if (!c->bus) {
		r = -ENOTCONN;
	} else {
		r = sd_bus_get_timeout(c->bus, &t);
		if (r >= 0 && c->retry_at && c->retry_at < t)
			t = c->retry_at;
	}
	if (r >= 0) {
		*usec = t;
		r = 0;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

/* The bus is gone (the system bus restarted): nothing is coordinated any more. */
static void disconnected(struct vasclient *c, int error)
{
	notify_error(c, "bus", error);
	c->inhibit_call = sd_bus_slot_unref(c->inhibit_call);
	c->phase_call = sd_bus_slot_unref(c->phase_call);
	c->state_call = sd_bus_slot_unref(c->state_call);
	if (c->lock_fd >= 0) {
		vasclient_close_lock(c);
		notify(c, VASCLIENT_LOCK_LOST, NULL, 0);
	}
	/* out of the library thread's epoll set while its fd is still open */
	vasclient_thread_unwatch(c);
	c->bus = sd_bus_unref(c->bus);
	c->retry_at = 0;
	c->state = VASCLIENT_RUNNING;
}

EXPORT int vasclient_process(vasclient *c)
{
	int r = enter(c);

	if (r < 0)
		return r;
	if (!c->bus) {
		pthread_mutex_unlock(&c->lock);
		return -ENOTCONN;
	}
	if (c->retry_at && now_usec() >= c->retry_at) {
		c->retry_at = 0;
		/* a migration announced meanwhile: its end takes the lock */
		if (c->state == VASCLIENT_RUNNING)
			take_lock(c, false);
	}
	for (;;) {
		r = sd_bus_process(c->bus, NULL);
		if (r <= 0)
			break;
		/*
		 * What this message asked for, before the next is read: a
		 * drain answered at once releases the lock now, not after
		 * the read that finds nothing more (the bare client's order).
		 */
		if (c->n_notices == 0 || c->delivering)
			continue;
		unlock_and_deliver(c);
		r = enter(c);
		if (r < 0)
			return r;
		/* another thread's vasclient_process() found the bus gone */
		if (!c->bus) {
			pthread_mutex_unlock(&c->lock);
			return -ENOTCONN;
		}
	}
	if (r < 0)
		disconnected(c, r);
	unlock_and_deliver(c);
	return r < 0 ? -ENOTCONN : 0;
}

EXPORT int vasclient_drained(vasclient *c)
{
	int r = enter(c);

	if (r < 0)
		return r;
	if (c->state != VASCLIENT_DRAINING) {
		pthread_mutex_unlock(&c->lock);
		return -ESTALE;
	}
	drained_locked(c);
	unlock_and_deliver(c);
	return 0;
}

EXPORT int vasclient_get_state(vasclient *c)
{
	int r = enter(c);

	if (r < 0)
		return r;
	r = (int)c->state;
	pthread_mutex_unlock(&c->lock);
	return r;
}

EXPORT int vasclient_has_lock(vasclient *c)
{
	int r = enter(c);

	if (r < 0)
		return r;
	r = c->lock_fd >= 0;
	pthread_mutex_unlock(&c->lock);
	return r;
}

/*
 * Make the queued callbacks, in order, the mutex let go for each. One
 * thread at a time: another that finds one delivering leaves its notices
 * to it, which takes them in the same loop. Called with the mutex held;
 * returns with it let go.
 */
static void unlock_and_deliver(struct vasclient *c)
{
	struct notice n;

	if (c->delivering) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	c->delivering = true;
	while (c->n_notices > 0) {
		n = c->notices[0];
		memmove(c->notices, c->notices + 1, --c->n_notices * sizeof(n));
		pthread_mutex_unlock(&c->lock);

		switch (n.kind) {
		case NOTICE_EVENT:
			c->event(c, n.event, n.detail, n.value, c->userdata);
			break;
		case NOTICE_DRAIN:
			if (c->drain(c, n.detail, c->userdata) == VASCLIENT_DRAINED)
				vasclient_drained(c);
			break;
		case NOTICE_RESUME:
			c->resume(c, n.detail, c->userdata);
			break;
		}
		free(n.detail);
		pthread_mutex_lock(&c->lock);
	}
	c->delivering = false;
	pthread_mutex_unlock(&c->lock);
}
