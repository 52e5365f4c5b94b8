// SPDX-License-Identifier: GPL-2.0-only
/*
 * Admission of the expensive calls (issue 13, finding 1): GetManagedObjects,
 * ListWindows and ReadEvents each build a reply of every window or of many
 * events (3 MB and a third of a second for GetManagedObjects at 10k
 * windows). A few connections that sent thousands of them, and read none
 * of the replies, kept vasd busy for minutes and root's calls timed out.
 *
 * A filter sees each call before sd-bus dispatches it. A cheap call goes
 * through. An expensive one goes through when its sender is root; for
 * another uid (core/share.h) when that uid's share of vasd's time is not
 * spent and vasd's replies are being read (fewer than WQUEUE_HIGH queued
 * unsent): otherwise it is answered at once with org.vasd1.Error.Busy,
 * which costs vasd nothing. What each admitted call took is charged to its
 * uid afterwards (bus/loop.c measures each dispatch). A sender's uid is
 * asked from the bus once (GetConnectionUnixUser, asynchronously) and
 * remembered; until the bus answers, the call waits aside (at most
 * DEFER_PER_SENDER per sender, DEFER_MAX in all: Busy past them) and is
 * then put back in sd-bus's read queue (sd_bus_enqueue_for_read()), where
 * the filter decides on it as on any other.
 *
 * So a user gets its share whatever the number of its connections, root
 * is served between any two expensive calls, and vasd's memory holds at
 * most WQUEUE_HIGH replies not yet taken by the bus (docs/bus.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/internal.h"
#include "core/share.h"
#include "util/time-util.h"
#include "log.h"

#define WQUEUE_HIGH		16
#define DEFER_MAX		1024
#define DEFER_PER_SENDER	16
#define SENDERS_MAX		1024
#define SENDER_NAME_MAX		64

/*
 * A user may take a quarter of vasd's time, all users but root together a
 * half: whatever the users and their connections, root waits at most for
 * the expensive call running and what the burst let in before its call.
 * (uid_t)-1 is no user's: it stands for all of them.
 */
static const struct share_config share_config = {
	.burst = 250 * 1000 * 1000ULL,		/* ns of vasd's time */
	.rate_per_sec = 250 * 1000 * 1000ULL,
	.max_uids = 1024,
};
#define ALL_USERS ((uint32_t)-1)
#define ALL_USERS_RATE (500 * 1000 * 1000ULL)

struct sender {
	char name[SENDER_NAME_MAX];
	uid_t uid;
	uint64_t used;
	uint64_t told_busy;		/* CLOCK_MONOTONIC ns of its last Busy */
};

/* A sender refused again within this is not told again (see admit()). */
#define BUSY_TELL_INTERVAL_NS (1000 * 1000 * 1000ULL)

struct bus_admission {
	struct vasd_bus *bus;
	sd_bus_slot *filter;
	struct share_table *shares;		/* a user's */
	struct share_table *all;		/* every user's but root's */

	struct sender senders[SENDERS_MAX];	/* uids known, by unique name */
	unsigned int n_senders;
	uint64_t clock;

	sd_bus_message *deferred[DEFER_MAX];	/* waiting for their sender's uid */
	unsigned int n_deferred;

	bool charging;				/* the dispatch running is admitted */
	uid_t charge_uid;
	uint64_t busy_replies;			/* for the log */
	uint64_t dropped;
};

static bool is_expensive(sd_bus_message *m)
{
	return sd_bus_message_is_method_call(m, "org.freedesktop.DBus.ObjectManager",
					     "GetManagedObjects") ||
	       sd_bus_message_is_method_call(m, VASD_BUS_MANAGER_INTERFACE,
					     "ListWindows") ||
	       sd_bus_message_is_method_call(m, VASD_BUS_MANAGER_INTERFACE,
					     "ReadEvents");
}

static struct sender *sender_find(struct bus_admission *a, const char *name)
{
	for (unsigned int i = 0; i < a->n_senders; i++)
		if (strcmp(a->senders[i].name, name) == 0) {
			a->senders[i].used = ++a->clock;
			return &a->senders[i];
		}
	return NULL;
}

static void sender_add(struct bus_admission *a, const char *name, uid_t uid)
{
	struct sender *s;

	if (a->n_senders < SENDERS_MAX) {
		s = &a->senders[a->n_senders++];
	} else {
		/* unique names are never given twice: the oldest may go */
		s = &a->senders[0];
		for (unsigned int i = 1; i < a->n_senders; i++)
			if (a->senders[i].used < s->used)
				s = &a->senders[i];
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->uid = uid;
	s->told_busy = 0;
	s->used = ++a->clock;
}

static void reply_busy(struct bus_admission *a, sd_bus_message *m,
		       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void reply_busy(struct bus_admission *a, sd_bus_message *m,
		       const char *fmt, ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	va_list ap;

	va_start(ap, fmt);
	sd_bus_error_setfv(&error, VASD_ERROR_BUSY, fmt, ap);
	va_end(ap);
	sd_bus_reply_method_error(m, &error);
	if (a->busy_replies++ % 1000 == 0)
		log_notice("Refused an expensive call of %s: %s (%" PRIu64 " so far)",
			   sd_bus_message_get_sender(m), error.message,
			   a->busy_replies);
}

/*
 * A decision for a sender whose uid is known: true to let m through. A
 * refusal is told (Busy) once a second a sender at most, and the calls
 * refused in between are dropped: a flood's every call answered would keep
 * vasd and the bus busy writing what its sender never reads, and a broker
 * charges those unread replies to vasd.
 */
static bool admit(struct bus_admission *a, sd_bus_message *m, struct sender *s)
{
	uint64_t queued = 0, wait = 0, now = now_ns(CLOCK_MONOTONIC);
	uid_t uid = s->uid;
	bool tell = now - s->told_busy >= BUSY_TELL_INTERVAL_NS;

	if (uid == 0)
		return true;
	if (sd_bus_get_n_queued_write(a->bus->bus, &queued) >= 0 &&
	    queued >= WQUEUE_HIGH) {
		/*
		 * Not even an error: the bus does not take vasd's messages
		 * now, most likely replies to those who read none, which a
		 * broker charges to vasd (dbus-broker stops reading vasd once
		 * its quota is spent on them). Dropped, the call times out.
		 */
		if (a->dropped++ % 1000 == 0)
			log_notice("Dropped an expensive call of %s: %" PRIu64 " bus messages of vasd's wait to be sent (%" PRIu64 " dropped so far)",
				   sd_bus_message_get_sender(m), queued, a->dropped);
		return false;
	}
	if (!share_admit(a->shares, (uint32_t)uid, now, &wait)) {
		if (tell) {
			s->told_busy = now;
			reply_busy(a, m, "uid %u has used its share of vasd's time; try again in %" PRIu64 " ms",
				   (unsigned int)uid, wait / 1000000 + 1);
		}
		return false;
	}
	if (!share_admit(a->all, ALL_USERS, now, &wait)) {
		if (tell) {
			s->told_busy = now;
			reply_busy(a, m, "vasd's users have used their share of its time; try again in %" PRIu64 " ms",
				   wait / 1000000 + 1);
		}
		return false;
	}
	return true;
}

static void let_through(struct bus_admission *a, uid_t uid)
{
	a->charging = uid != 0;
	a->charge_uid = uid;
}

struct uid_query {
	struct bus_admission *a;
	char *sender;
};

static void uid_query_free(void *userdata)
{
	struct uid_query *q = userdata;

	free(q->sender);
	free(q);
}

static int on_uid(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct uid_query *q = userdata;
	struct bus_admission *a = q->a;
	uint32_t uid = 0;
	unsigned int kept = 0;
	bool known;

	known = !sd_bus_message_is_method_error(reply, NULL) &&
		sd_bus_message_read(reply, "u", &uid) >= 0;
	if (known)
		sender_add(a, q->sender, (uid_t)uid);
	for (unsigned int i = 0; i < a->n_deferred; i++) {
		sd_bus_message *m = a->deferred[i];

		if (strcmp(sd_bus_message_get_sender(m), q->sender) != 0) {
			a->deferred[kept++] = m;
			continue;
		}
		/*
		 * Back in sd-bus's queue: the filter decides when it comes up,
		 * the uid now known, so that the calls of a user are charged
		 * one by one and not all admitted on a full share. Not known:
		 * the sender is gone, nobody reads an answer.
		 */
		if (known && sd_bus_enqueue_for_read(a->bus->bus, m) < 0)
			reply_busy(a, m, "vasd is out of memory; try again later");
		sd_bus_message_unref(m);
	}
	a->n_deferred = kept;
	bus_sent(a->bus);
	return 0;
}

static int defer(struct bus_admission *a, sd_bus_message *m)
{
	const char *sender = sd_bus_message_get_sender(m);
	unsigned int mine = 0;
	struct uid_query *q;
	int r;

	for (unsigned int i = 0; i < a->n_deferred; i++)
		mine += strcmp(sd_bus_message_get_sender(a->deferred[i]), sender) == 0;
	if (a->n_deferred >= DEFER_MAX || mine >= DEFER_PER_SENDER) {
		reply_busy(a, m, "too many calls wait for vasd to learn who sent them; try again later");
		return 1;
	}
	if (mine == 0) {
		/* one query a sender; its reply settles all its calls waiting */
		q = calloc(1, sizeof(*q));
		if (!q)
			return -ENOMEM;
		q->a = a;
		q->sender = strdup(sender);
		if (!q->sender) {
			uid_query_free(q);
			return -ENOMEM;
		}
		r = bus_ask_driver(a->bus->bus, "GetConnectionUnixUser", sender,
				   on_uid, q, uid_query_free);
		if (r < 0)
			return r;
	}
	a->deferred[a->n_deferred++] = sd_bus_message_ref(m);
	return 1;
}

static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct bus_admission *a = userdata;
	struct sender *s;
	const char *sender;

	a->charging = false;
	if (!sd_bus_message_is_method_call(m, NULL, NULL) || !is_expensive(m))
		return 0;
	sender = sd_bus_message_get_sender(m);
	if (!sender)
		return 0;
	if (strlen(sender) >= SENDER_NAME_MAX) {
		/* no bus gives such names: it could not be remembered */
		reply_busy(a, m, "vasd cannot tell who sent this call");
		return 1;
	}
	s = sender_find(a, sender);
	if (!s)
		return defer(a, m);
	if (!admit(a, m, s))
		return 1;
	let_through(a, s->uid);
	return 0;
}

void bus_admission_charge(struct bus_admission *a, uint64_t elapsed)
{
	if (!a || !a->charging)
		return;
	share_charge(a->shares, (uint32_t)a->charge_uid, now_ns(CLOCK_MONOTONIC),
		     elapsed);
	share_charge(a->all, ALL_USERS, now_ns(CLOCK_MONOTONIC), elapsed);
	a->charging = false;
}

int bus_admission_new(struct vasd_bus *b, struct bus_admission **ret)
{
	struct bus_admission *a;
	int r;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->bus = b;
	r = share_table_new(&share_config, &a->shares);
	if (r >= 0)
		r = share_table_new(&(struct share_config) {
					.burst = ALL_USERS_RATE,
					.rate_per_sec = ALL_USERS_RATE,
					.max_uids = 1,
				    }, &a->all);
	if (r >= 0)
		r = sd_bus_add_filter(b->bus, &a->filter, on_message, a);
	if (r < 0) {
		bus_admission_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

struct bus_admission *bus_admission_free(struct bus_admission *a)
{
	if (!a)
		return NULL;
	sd_bus_slot_unref(a->filter);
	for (unsigned int i = 0; i < a->n_deferred; i++)
		sd_bus_message_unref(a->deferred[i]);
	share_table_free(a->shares);
	share_table_free(a->all);
	free(a);
	return NULL;
}
