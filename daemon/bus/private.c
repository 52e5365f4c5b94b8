// SPDX-License-Identifier: GPL-2.0-only
/*
 * The private socket: root's way to vasd beside the system bus, as
 * systemd's /run/systemd/private is systemctl's. The bus queues every
 * sender's calls to vasd in one queue, so a user who sends faster than
 * vasd can read and refuse puts root's calls behind its own (docs/bus.md,
 * issue 13); on this socket root's calls wait for nobody's. vasctl and the
 * drmgr hook use it when run as root.
 *
 * A stream socket (mode 0600, vasd's user's; the directory is the unit's
 * RuntimeDirectory); each connection a direct D-Bus peer connection
 * (sd-bus as the server: no bus, no names, no signals) with the Manager,
 * the windows and LogControl on it, driven by the loop like the bus's
 * connection. Only uid 0 is served: the kernel's SO_PEERCRED says who
 * connected, and anyone else is closed at once. No Inhibit here: a lock
 * belongs to a bus client that signals reach.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-id128.h>

#include "bus/internal.h"
#include "bus/loop.h"
#include "util/list.h"
#include "log.h"

/* root's vasctl runs one at a time; a few more for scripts */
#define PRIVATE_CONNECTIONS_MAX 16

struct bus_private_conn {
	LIST_FIELDS(struct bus_private_conn, conns);
	struct bus_private *p;
	sd_bus *bus;
	struct bus_loop *loop;
	struct ucred peer;
	bool dead;
};

struct bus_private {
	struct vasd_bus *b;
	char *path;
	int fd;
	struct event *accept;
	struct event *reap;
	sd_id128_t server_id;
	struct bus_private_conn *conns;
	unsigned int n_conns;
};

static void conn_free(struct bus_private_conn *c)
{
	LIST_REMOVE(conns, c->p->conns, c);
	c->p->n_conns--;
	bus_loop_free(c->loop);
	/* no flush: a peer that reads nothing must not hold vasd's exit */
	sd_bus_close_unref(c->bus);
	free(c);
}

static void on_reap(evutil_socket_t fd, short what, void *userdata)
{
	struct bus_private *p = userdata;
	struct bus_private_conn *c, *next;

	for (c = p->conns; c; c = next) {
		next = c->conns_next;
		if (c->dead)
			conn_free(c);
	}
}

/* The peer went (or the connection broke): freed on the next turn. */
static void on_conn_error(struct bus_loop *l, int error, void *userdata)
{
	struct bus_private_conn *c = userdata;

	if (error != -ECONNRESET && error != -ENOTCONN)
		log_debug("Private connection of pid %d ended: %s", (int)c->peer.pid,
			  strerror(-error));
	c->dead = true;
	event_active(c->p->reap, EV_TIMEOUT, 0);
}

static int refuse_inhibit(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	if (!sd_bus_message_is_method_call(m, VASD_BUS_MANAGER_INTERFACE, "Inhibit"))
		return 0;
	sd_bus_reply_method_errorf(m, SD_BUS_ERROR_NOT_SUPPORTED,
				   "Inhibitor locks are taken on the system bus, where PrepareForMigration reaches their holders");
	return 1;
}

static int conn_new(struct bus_private *p, int fd, const struct ucred *peer)
{
	struct vasd_bus *b = p->b;
	struct bus_private_conn *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->p = p;
	c->peer = *peer;
	LIST_PREPEND(conns, p->conns, c);
	p->n_conns++;
	r = sd_bus_new(&c->bus);
	if (r < 0) {
		close(fd);
		goto fail;
	}
	(void)sd_bus_set_description(c->bus, "vasd-private");
	r = sd_bus_set_fd(c->bus, fd, fd);
	if (r < 0) {
		close(fd);
		goto fail;
	}
	r = sd_bus_set_server(c->bus, 1, p->server_id);
	if (r >= 0)
		r = sd_bus_add_filter(c->bus, NULL, refuse_inhibit, NULL);
	if (r >= 0)
		r = bus_manager_install(b, c->bus);
	if (r >= 0)
		r = bus_window_install(b, c->bus);
	if (r >= 0)
		r = bus_logcontrol_install(b, c->bus);
	if (r >= 0)
		r = sd_bus_start(c->bus);
	if (r >= 0)
		r = bus_loop_new(b->base, c->bus, on_conn_error, c, &c->loop);
	if (r < 0)
		goto fail;
	return 0;
fail:
	conn_free(c);
	return r;
}

static void on_accept(evutil_socket_t lfd, short what, void *userdata)
{
	struct bus_private *p = userdata;
	struct ucred peer;
	socklen_t len = sizeof(peer);
	int fd, r;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warning_errno(-errno, "Failed to accept on %s: %s", p->path,
					  strerror(errno));
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0) {
		close(fd);
		return;
	}
	/* the socket's mode lets vasd's own user in as well: root only */
	if (peer.uid != 0) {
		log_notice("Refused a connection to %s from uid %u, pid %d: it is root's",
			   p->path, (unsigned int)peer.uid, (int)peer.pid);
		close(fd);
		return;
	}
	if (p->n_conns >= PRIVATE_CONNECTIONS_MAX) {
		log_warning("Refused a connection to %s from pid %d: %u are open already",
			    p->path, (int)peer.pid, p->n_conns);
		close(fd);
		return;
	}
	r = conn_new(p, fd, &peer);
	if (r < 0)
		log_warning_errno(r, "Failed to serve a connection to %s: %s", p->path,
				  strerror(-r));
}

bool bus_private_peer(struct vasd_bus *b, sd_bus *bus, struct bus_caller *ret)
{
	struct bus_private_conn *c;

	if (!b->private)
		return false;
	for (c = b->private->conns; c; c = c->conns_next)
		if (c->bus == bus) {
			*ret = (struct bus_caller){
				.uid = c->peer.uid,
				.pid = c->peer.pid,
			};
			return true;
		}
	return false;
}

void bus_private_sent(struct vasd_bus *b)
{
	struct bus_private_conn *c;

	if (!b->private)
		return;
	for (c = b->private->conns; c; c = c->conns_next)
		if (!c->dead)
			bus_loop_rearm(c->loop);
}

int bus_private_new(struct vasd_bus *b, const char *path)
{
	struct bus_private *p;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t mask;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return log_error_errno(-ENAMETOOLONG, "The private socket's path is too long: %s", path);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->b = b;
	p->fd = -1;
	b->private = p;
	p->path = strdup(path);
	if (!p->path)
		return -ENOMEM;
	r = sd_id128_randomize(&p->server_id);
	if (r < 0)
		return r;
	p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (p->fd < 0)
		return -errno;
	strcpy(sa.sun_path, path);
	/* a socket left by a vasd that died; the ledger's lock says none runs */
	(void)unlink(path);
	mask = umask(0177);
	r = bind(p->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(mask);
	if (r < 0)
		return log_error_errno(-errno, "Failed to bind the private socket %s: %s",
				       path, strerror(errno));
	if (listen(p->fd, SOMAXCONN) < 0)
		return -errno;
	p->accept = event_new(b->base, p->fd, EV_READ | EV_PERSIST, on_accept, p);
	p->reap = evtimer_new(b->base, on_reap, p);
	if (!p->accept || !p->reap || event_add(p->accept, NULL) < 0)
		return -ENOMEM;
	log_debug("Listening on %s for root", path);
	return 0;
}

void bus_private_free(struct vasd_bus *b)
{
	struct bus_private *p = b->private;

	if (!p)
		return;
	while (p->conns)
		conn_free(p->conns);
	if (p->accept)
		event_free(p->accept);
	if (p->reap)
		event_free(p->reap);
	if (p->fd >= 0) {
		close(p->fd);
		(void)unlink(p->path);
	}
	free(p->path);
	free(p);
	b->private = NULL;
}
