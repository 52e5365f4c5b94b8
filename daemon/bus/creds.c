// SPDX-License-Identifier: GPL-2.0-only
/*
 * The caller's credentials, asked from the bus driver with an asynchronous
 * GetConnectionCredentials: sd_bus_query_sender_creds() would make a
 * blocking call on vasd's own connection (the bus attaches no credentials
 * to messages), and vasd never blocks on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus/internal.h"

struct creds_query {
	struct vasd_bus *bus;
	sd_bus_message *call;
	bus_creds_fn fn;
};

static void creds_query_free(void *userdata)
{
	struct creds_query *q = userdata;

	sd_bus_message_unref(q->call);
	free(q);
}

static int read_gids(sd_bus_message *reply, struct bus_caller *c)
{
	const uint32_t *gids;
	size_t size;
	int r;

	r = sd_bus_message_enter_container(reply, 'v', "au");
	if (r < 0)
		return r;
	r = sd_bus_message_read_array(reply, 'u', (const void **)&gids, &size);
	if (r < 0)
		return r;
	c->n_gids = 0;
	for (size_t i = 0; i < size / sizeof(*gids) && i < BUS_CALLER_GIDS_MAX; i++)
		c->gids[c->n_gids++] = (gid_t)gids[i];
	return sd_bus_message_exit_container(reply);
}

static int read_creds(sd_bus_message *reply, struct bus_caller *c)
{
	bool have_uid = false, have_pid = false;
	uint32_t v;
	int r;

	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const char *key;

		r = sd_bus_message_read(reply, "s", &key);
		if (r < 0)
			return r;
		if (strcmp(key, "UnixUserID") == 0 || strcmp(key, "ProcessID") == 0) {
			r = sd_bus_message_read(reply, "v", "u", &v);
			if (r < 0)
				return r;
			if (key[0] == 'U') {
				c->uid = (uid_t)v;
				have_uid = true;
			} else {
				c->pid = (pid_t)v;
				have_pid = true;
			}
		} else if (strcmp(key, "UnixGroupIDs") == 0) {
			r = read_gids(reply, c);
		} else {
			r = sd_bus_message_skip(reply, "v");
		}
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(reply);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	if (!have_uid)
		return -ENODATA;
	if (!have_pid)
		c->pid = 0;	/* the bus may not know it (another namespace) */
	return 0;
}

bool bus_caller_in_group(const struct bus_caller *c, gid_t gid)
{
	for (unsigned int i = 0; i < c->n_gids; i++)
		if (c->gids[i] == gid)
			return true;
	return false;
}

static int on_creds(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct creds_query *q = userdata;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	struct bus_caller caller = { .uid = 0 };
	int r;

	if (sd_bus_message_is_method_error(reply, NULL) ||
	    read_creds(reply, &caller) < 0) {
		/* most often: the caller is gone already; nobody will read this */
		sd_bus_reply_method_errorf(q->call, VASD_ERROR_NO_CREDENTIALS,
					   "Cannot tell who called: the bus did not give the caller's credentials");
		return 0;
	}
	r = q->fn(q->bus, q->call, &caller, &error);
	if (r < 0)
		sd_bus_reply_method_errno(q->call, r, &error);
	return 0;
}

int bus_query_sender(struct vasd_bus *b, sd_bus_message *m, bus_creds_fn fn)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	struct bus_caller peer = { .uid = 0 };
	struct creds_query *q;
	int r;

	/* a private connection has no bus to ask: the kernel said at connect */
	if (bus_private_peer(b, sd_bus_message_get_bus(m), &peer)) {
		r = fn(b, m, &peer, &error);
		if (r < 0)
			sd_bus_reply_method_errno(m, r, &error);
		return 1;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->bus = b;
	q->call = sd_bus_message_ref(m);
	q->fn = fn;
	r = bus_ask_driver(b->bus, "GetConnectionCredentials",
			   sd_bus_message_get_sender(m), on_creds, q,
			   creds_query_free);
	return r < 0 ? r : 1;
}

int bus_ask_driver(sd_bus *bus, const char *member, const char *name,
		   sd_bus_message_handler_t fn, void *userdata,
		   sd_bus_destroy_t destroy)
{
	sd_bus_slot *slot;
	int r;

	r = sd_bus_call_method_async(bus, &slot, "org.freedesktop.DBus",
				     "/org/freedesktop/DBus", "org.freedesktop.DBus",
				     member, fn, userdata, "s", name);
	if (r < 0) {
		destroy(userdata);
		return r;
	}
	sd_bus_slot_set_destroy_callback(slot, destroy);
	/* the bus owns the slot: it goes with the reply, or with the bus */
	sd_bus_slot_set_floating(slot, 1);
	sd_bus_slot_unref(slot);
	return 0;
}

void bus_comm_of(pid_t pid, char comm[static VAS_COMM_MAX])
{
	char path[32];
	ssize_t n = -1;
	int fd;

	/* the bus gives no command name; /proc has it while the caller lives */
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = pid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		n = read(fd, comm, VAS_COMM_MAX - 1);
		close(fd);
	}
	if (n < 0)
		n = 0;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}
