/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fk-server: the fake kernel's socket, speaking the family "vas" over
 * SOCK_SEQPACKET the way daemon/kernel-source.h describes the "unix:PATH"
 * transport.
 *
 * Connections. Every accepted connection is an events connection: it gets
 * every notification, as a member of the netlink group does. A connection
 * that sends anything (a request, or the NLMSG_NOOP kernel-source sends
 * first) is a request connection from then on and gets no events any more;
 * it gets the replies of its requests, exactly as a netlink socket does
 * (NLM_F_MULTI parts, NLMSG_DONE, NLMSG_ERROR acks with NLM_F_CAPPED and an
 * extack message, the kernel's errnos).
 *
 * Overrun. Events connections are non-blocking. When an event does not fit
 * (the client is not reading), it and every further event are dropped for
 * that connection until there is room again; then the connection gets one
 * NLMSG_ERROR with error -ENOBUFS and no sequence number (what a netlink
 * socket's ENOBUFS is), and events flow again.
 *
 * Dumps. A dump is sent one datagram (of at most 16 KiB of whole messages)
 * per turn of the loop, so that events happen between its parts as they
 * do in the kernel; a part started after the seq moved flags its first
 * message NLM_F_DUMP_INTR, as genl_dump_check_consistent() does.
 *
 * A connection with replies waiting or a dump running is not read until
 * they are sent: requests are answered in order, never dropped.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/vas-msg.h"
#include "util/macro.h"
#include "fk-model.h"

#define FK_FOREVER UINT64_MAX

struct fk_server;

struct fk_server_config {
	const char *path;	/* the socket to listen on */
	int events_sndbuf;	/* bytes: how far an events client may lag */
	bool pad64;		/* u64 attributes with pads (vas-encode.h) */
	bool backpressure;	/* wait for a slow listener instead of dropping */
};

enum fk_coord_outcome {
	FK_COORD_PENDING,
	FK_COORD_ACKED,
	FK_COORD_GONE,
};

int fk_server_new(const struct fk_server_config *c, struct fk_model *model,
		  struct fk_server **ret);
struct fk_server *fk_server_free(struct fk_server *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct fk_server, fk_server_free)

/*
 * One turn of the loop: wait for something to do until @deadline
 * (CLOCK_MONOTONIC ns; 0: do not wait; FK_FOREVER), do it. When @extra_fd
 * is not negative it is watched for input too, and *@ret_extra_ready says
 * whether it has some. Returns 0 or a negative errno (fatal).
 */
int fk_server_turn(struct fk_server *s, uint64_t deadline, int extra_fd,
		   bool *ret_extra_ready);
/* SIGTERM or SIGINT arrived. */
bool fk_server_terminated(const struct fk_server *s);

/* A notification of the model: send @m to every events connection. */
void fk_server_event(struct fk_server *s, const struct vas_msg *m);
/* Build the next @n events but send none of them (a gap). */
void fk_server_drop(struct fk_server *s, uint64_t n);
size_t fk_server_n_listeners(const struct fk_server *s);

/*
 * The coordinator (kernel/vas-events.c). Arm before PREPARE is sent: when a
 * coordinator is registered, returns true and from then on its COORD_ACK
 * with @token settles the wait; so does its connection closing.
 */
bool fk_server_has_coordinator(const struct fk_server *s);
bool fk_server_coord_arm(struct fk_server *s, uint64_t token);
enum fk_coord_outcome fk_server_coord_outcome(const struct fk_server *s);
void fk_server_coord_disarm(struct fk_server *s);
/* The family unregistered (reload): the coordinator is dropped. */
void fk_server_coord_release(struct fk_server *s);

struct fk_server_stats {
	uint64_t sent;		/* event datagrams sent, all connections */
	uint64_t dropped;	/* events not sent: the drop command */
	uint64_t overrun;	/* events lost by a connection's overrun */
	uint64_t requests;
};

void fk_server_get_stats(const struct fk_server *s,
			 struct fk_server_stats *ret);
