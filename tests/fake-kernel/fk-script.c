// SPDX-License-Identifier: GPL-2.0-only
/*
 * fk-script: the commands that drive the fake kernel. See fk-script.h; the
 * grammar is in fake-kernel.c's --help.
 *
 * Waiting is serving: every wait (sleep, the coordinator's ack, the
 * hypervisor's pause, the event rate, wait-client) turns the server's loop
 * until it is over, and every operation is followed by one turn that does
 * not block, so requests and dump parts interleave with the events as they
 * do with a kernel.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "fk-log.h"
#include "fk-script.h"
#include "fk-truth.h"

#define LINE_MAX_LEN	4096
#define ARGS_MAX	8

/* How far behind its schedule --rate lets the script fall and catch up. */
#define PACE_CATCH_UP_NS (10 * 1000000u)

/* What "open" gives a window unless told otherwise. */
#define DEFAULT_COMM	"client"
#define DEFAULT_TGID	1000
#define DEFAULT_UID	1000

struct fk_script {
	int fd;
	char *name;
	unsigned int line_no;
	char buf[LINE_MAX_LEN + 1];
	size_t len;
	size_t line_len;		/* of the current line, its newline too */
	bool eof;

	struct fk_model *model;
	struct fk_server *server;
	struct fk_script_config cfg;

	uint64_t next_stream;		/* default stream ids: 1, 2, ... */
	uint64_t rng;			/* "random": splitmix64 state */
	uint64_t pace_next;		/* CLOCK_MONOTONIC ns: next operation */
	size_t want_listeners;
};

static uint64_t now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t fk_random_nonzero(void)
{
	uint64_t v = 0;

	while (!v)
		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			v = now_real() ^ ((uint64_t)getpid() << 32);
	return v;
}

static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int fk_script_new(int fd, const char *name, struct fk_model *model,
		  struct fk_server *server, const struct fk_script_config *c,
		  struct fk_script **ret)
{
	struct fk_script *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return -ENOMEM;
	sc->name = strdup(name);
	if (!sc->name) {
		free(sc);
		return -ENOMEM;
	}
	sc->fd = fd;
	sc->model = model;
	sc->server = server;
	sc->cfg = *c;
	sc->next_stream = 1;
	sc->rng = 1;
	*ret = sc;
	return 0;
}

struct fk_script *fk_script_free(struct fk_script *sc)
{
	if (!sc)
		return NULL;
	free(sc->name);
	free(sc);
	return NULL;
}

/* Waiting. */

typedef bool (*until_fn)(struct fk_script *sc);

/*
 * Serve the socket until @done is true (1), @deadline passed (0), or a
 * signal came (-ECANCELED).
 */
static int serve_until(struct fk_script *sc, uint64_t deadline, until_fn done)
{
	for (;;) {
		int r;

		if (done && done(sc))
			return 1;
		if (fk_server_terminated(sc->server))
			return -ECANCELED;
		if (deadline != FK_FOREVER && now_mono() >= deadline)
			return 0;
		r = fk_server_turn(sc->server, deadline, -1, NULL);
		if (r < 0)
			return r;
	}
}

/* One turn that does not block, after an operation. */
static int yield(struct fk_script *sc)
{
	int r = fk_server_turn(sc->server, 0, -1, NULL);

	if (r < 0)
		return r;
	return fk_server_terminated(sc->server) ? -ECANCELED : 0;
}

/*
 * With --rate, an operation starts only when the events of the ones
 * before it are due: an operation's events go out together, as the
 * module sends them under one lock, and the next one waits for as long as
 * they are worth.
 */
static int pace(struct fk_script *sc)
{
	int r;

	if (!sc->cfg.rate || now_mono() >= sc->pace_next)
		return 0;
	r = serve_until(sc, sc->pace_next, NULL);
	return r < 0 ? r : 0;
}

static void paced(struct fk_script *sc, uint64_t start, uint64_t seq_before)
{
	uint64_t n = fk_model_seq(sc->model) - seq_before;

	if (!sc->cfg.rate || !n)
		return;
	/*
	 * Late wake-ups are caught up, so that the rate is the one asked
	 * for; an idle script is not (no burst after a sleep).
	 */
	if (sc->pace_next + PACE_CATCH_UP_NS < start)
		sc->pace_next = start;
	sc->pace_next += n * 1000000000u / sc->cfg.rate;
}

/* Operations, each with its pacing. */

/* What the module refuses (logged, the script goes on); else fatal. */
static bool refused(int r)
{
	return r == -EINVAL || r == -EBUSY || r == -ENOENT;
}

static int op_open(struct fk_script *sc, uint32_t type, uint32_t tgid,
		   uint32_t pid, uint32_t uid, const char *comm,
		   uint32_t *ret_id)
{
	uint64_t start, seq;
	int r;

	r = pace(sc);
	if (r < 0)
		return r;
	start = now_mono();
	seq = fk_model_seq(sc->model);
	r = fk_model_open(sc->model, type, tgid, pid, uid, comm, now_real(),
			  ret_id);
	paced(sc, start, seq);
	return r;
}

static int op_close(struct fk_script *sc, uint32_t id)
{
	uint64_t start, seq;
	int r;

	r = pace(sc);
	if (r < 0)
		return r;
	start = now_mono();
	seq = fk_model_seq(sc->model);
	r = fk_model_close(sc->model, id, now_real());
	paced(sc, start, seq);
	return r;
}

static int op_credits(struct fk_script *sc, uint32_t type, uint32_t total)
{
	uint64_t start, seq;
	int r;

	r = pace(sc);
	if (r < 0)
		return r;
	start = now_mono();
	seq = fk_model_seq(sc->model);
	r = fk_model_set_credits(sc->model, type, total, now_real());
	paced(sc, start, seq);
	return r;
}

static bool coord_settled(struct fk_script *sc)
{
	return fk_server_coord_outcome(sc->server) != FK_COORD_PENDING;
}

/* vas_sim_migrate(), with vas_migration_prepare()'s wait. */
static int op_migrate(struct fk_script *sc, uint64_t stream,
		      uint32_t ack_timeout_ms, uint32_t pause_ms, bool aborted,
		      uint32_t missed)
{
	uint64_t token = fk_random_nonzero();
	uint64_t start, seq, first = fk_model_seq(sc->model) + 1;
	const char *outcome = "no coordinator";
	bool armed;
	int r;

	r = pace(sc);
	if (r < 0)
		return r;
	start = now_mono();
	seq = fk_model_seq(sc->model);
	/* armed before PREPARE is sent, so that no ack can come too early */
	armed = fk_server_coord_arm(sc->server, token);
	fk_model_migration_prepare(sc->model, stream, token, now_real());
	paced(sc, start, seq);
	if (armed) {
		r = serve_until(sc, now_mono() + ack_timeout_ms * 1000000ull,
				coord_settled);
		fk_server_coord_disarm(sc->server);
		if (r < 0)
			return r;
		switch (fk_server_coord_outcome(sc->server)) {
		case FK_COORD_ACKED:
			outcome = "acked";
			break;
		case FK_COORD_GONE:
			outcome = "coordinator gone";
			break;
		case FK_COORD_PENDING:
			outcome = "ack timed out";
			break;
		}
	}
	fk_log("migrate stream %" PRIu64 ": prepare (token 0x%" PRIx64 "), %s after %.1f ms",
	       stream, token, outcome, (double)(now_mono() - start) / 1e6);

	r = pace(sc);
	if (r < 0)
		return r;
	start = now_mono();
	seq = fk_model_seq(sc->model);
	fk_model_migration_suspend(sc->model, missed, now_real());
	paced(sc, start, seq);

	r = serve_until(sc, now_mono() + pause_ms * 1000000ull, NULL);
	if (r < 0)
		return r;

	r = pace(sc);
	if (r < 0)
		return r;
	start = now_mono();
	seq = fk_model_seq(sc->model);
	fk_model_migration_resume(sc->model, aborted, now_real());
	paced(sc, start, seq);
	fk_log("migrate stream %" PRIu64 ": %s, seq %" PRIu64 "..%" PRIu64,
	       stream, aborted ? "aborted" : "completed", first,
	       fk_model_seq(sc->model));
	return 0;
}

/* Parsing. */

struct args {
	const char *cmd;
	char *v[ARGS_MAX];
	size_t n;
};

static int script_error(struct fk_script *sc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int script_error(struct fk_script *sc, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fk_log("%s:%u: %s", sc->name, sc->line_no, msg);
	return -EINVAL;
}

/* A decimal or 0x-hexadecimal number up to @max. */
static int parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	int base = 10;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* The value of "key=value", or NULL when @arg is not about @key. */
static const char *kv(const char *arg, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(arg, key, n) == 0 && arg[n] == '=')
		return arg + n + 1;
	return NULL;
}

static int arg_uint(struct fk_script *sc, const char *what, const char *s,
		    uint64_t max, uint64_t *ret)
{
	if (parse_uint(s, max, ret) < 0)
		return script_error(sc, "%s: expected a number up to %" PRIu64 ", got '%s'",
				    what, max, s);
	return 0;
}

static int arg_type(struct fk_script *sc, const char *s, uint32_t *ret)
{
	int t = vas_win_type_from_string(s);

	if (t < 0)
		return script_error(sc, "expected default or qos, got '%s'", s);
	*ret = (uint32_t)t;
	return 0;
}

/* Commands. */

static int cmd_open(struct fk_script *sc, const struct args *a)
{
	uint32_t type = VAS_WIN_TYPE_DEFAULT, id;
	uint64_t tgid = DEFAULT_TGID, pid = 0, uid = DEFAULT_UID;
	const char *comm = DEFAULT_COMM, *v;
	int r;

	for (size_t i = 0; i < a->n; i++) {
		if ((v = kv(a->v[i], "comm"))) {
			if (strlen(v) >= VAS_COMM_MAX)
				return script_error(sc, "comm '%s': longer than %d characters",
						    v, VAS_COMM_MAX - 1);
			comm = v;
		} else if ((v = kv(a->v[i], "tgid"))) {
			r = arg_uint(sc, "tgid", v, UINT32_MAX, &tgid);
			if (r < 0)
				return r;
		} else if ((v = kv(a->v[i], "pid"))) {
			r = arg_uint(sc, "pid", v, UINT32_MAX, &pid);
			if (r < 0)
				return r;
		} else if ((v = kv(a->v[i], "uid"))) {
			r = arg_uint(sc, "uid", v, UINT32_MAX, &uid);
			if (r < 0)
				return r;
		} else {
			r = arg_type(sc, a->v[i], &type);
			if (r < 0)
				return r;
		}
	}

	r = op_open(sc, type, (uint32_t)tgid, (uint32_t)(pid ? pid : tgid),
		    (uint32_t)uid, comm, &id);
	if (r < 0 && !refused(r))
		return r;
	if (r < 0)
		fk_log("open %s: refused: %s", vas_win_type_to_string(type),
		       strerror(-r));
	else
		fk_log("open %s: window %u, seq %" PRIu64,
		       vas_win_type_to_string(type), id,
		       fk_model_seq(sc->model));
	return 0;
}

static int close_logged(struct fk_script *sc, uint32_t id)
{
	int r = op_close(sc, id);

	if (r < 0 && !refused(r))
		return r;
	if (r < 0)
		fk_log("close %u: %s", id, strerror(-r));
	else
		fk_log("close %u: seq %" PRIu64, id, fk_model_seq(sc->model));
	return 0;
}

static int cmd_close(struct fk_script *sc, const struct args *a)
{
	uint64_t id;
	int r;

	r = arg_uint(sc, "close", a->v[0], UINT32_MAX, &id);
	if (r < 0)
		return r;
	return close_logged(sc, (uint32_t)id);
}

static int cmd_close_end(struct fk_script *sc, const struct args *a)
{
	bool newest = strcmp(a->cmd, "close-newest") == 0;
	uint32_t id = newest ? fk_model_newest(sc->model) :
			       fk_model_oldest(sc->model);

	if (!id) {
		fk_log("%s: no window", a->cmd);
		return 0;
	}
	return close_logged(sc, id);
}

static int cmd_credits(struct fk_script *sc, const struct args *a)
{
	uint32_t type = 0;
	uint64_t n;
	int r;

	r = arg_type(sc, a->v[0], &type);
	if (r < 0)
		return r;
	r = arg_uint(sc, "credits", a->v[1], FK_CREDITS_MAX, &n);
	if (r < 0)
		return r;
	r = op_credits(sc, type, (uint32_t)n);
	if (r < 0)
		return r;
	fk_log("credits %s %" PRIu64 ": seq %" PRIu64,
	       vas_win_type_to_string(type), n, fk_model_seq(sc->model));
	return 0;
}

static int cmd_migrate(struct fk_script *sc, const struct args *a)
{
	uint64_t stream = sc->next_stream;
	uint64_t timeout = sc->cfg.ack_timeout_ms, pause = sc->cfg.pause_ms;
	uint64_t missed = 0;
	bool aborted = false;
	const char *v;
	int r = 0;

	for (size_t i = 0; i < a->n && r >= 0; i++) {
		if ((v = kv(a->v[i], "stream")))
			r = arg_uint(sc, "stream", v, UINT64_MAX, &stream);
		else if ((v = kv(a->v[i], "ack-timeout-ms")))
			r = arg_uint(sc, "ack-timeout-ms", v, UINT32_MAX,
				     &timeout);
		else if ((v = kv(a->v[i], "pause-ms")))
			r = arg_uint(sc, "pause-ms", v, UINT32_MAX, &pause);
		else if (strcmp(a->v[i], "abort") == 0)
			aborted = true;
		else if (strcmp(a->v[i], "race") == 0)
			missed = 1;
		else if ((v = kv(a->v[i], "race")))
			r = arg_uint(sc, "race", v, FK_CREDITS_MAX, &missed);
		else
			r = script_error(sc, "migrate: unknown argument '%s'",
					 a->v[i]);
	}
	if (r < 0)
		return r;
	sc->next_stream = stream + 1;
	return op_migrate(sc, stream, (uint32_t)timeout, (uint32_t)pause,
			  aborted, (uint32_t)missed);
}

static int cmd_drop(struct fk_script *sc, const struct args *a)
{
	uint64_t n;
	int r;

	r = arg_uint(sc, "drop", a->v[0], UINT64_MAX, &n);
	if (r < 0)
		return r;
	fk_server_drop(sc->server, n);
	fk_log("drop: the next %" PRIu64 " events (from seq %" PRIu64 ") are not sent",
	       n, fk_model_seq(sc->model) + 1);
	return 0;
}

static int cmd_reload(struct fk_script *sc, const struct args *a)
{
	uint64_t generation = fk_random_nonzero();

	/* the family is unregistered: nobody stays the coordinator */
	fk_server_coord_release(sc->server);
	fk_model_reload(sc->model, generation);
	fk_log("reload: generation 0x%" PRIx64 ", seq from 1, no windows",
	       generation);
	return 0;
}

/* The id of the nth window by id (n < the number of windows). */
static uint32_t nth_window(const struct fk_model *m, size_t n)
{
	const struct vas_window *w = fk_model_window_next(m, 0);

	while (w && n--)
		w = fk_model_window_next(m, w->id + 1);
	return w ? w->id : 0;
}

/*
 * Credits bound the windows of "random" only as far as the script's
 * credits go (--default-credits may be large): past this many, it closes
 * instead of opening, so that its operations stay cheap and its mix the
 * same.
 */
#define RANDOM_WINDOWS_MAX 64

struct random_stats {
	uint64_t opens;
	uint64_t refused;
	uint64_t closes;
	uint64_t credits;
	uint64_t migrations;
};

static int random_op(struct fk_script *sc, struct random_stats *st)
{
	static const char *const comms[] = {
		"nxgzip", "pigz", "java", "db2sysc", "python3", "gzip-bench",
	};
	uint64_t *rng = &sc->rng;
	uint64_t what = rng_next(rng) % 1000;
	size_t n = fk_model_n_windows(sc->model);
	uint32_t id, type, tgid;
	int r;

	if ((what < 450 && n < RANDOM_WINDOWS_MAX) || (what < 850 && n == 0)) {
		type = rng_next(rng) % 4 == 0 ? VAS_WIN_TYPE_QOS :
						VAS_WIN_TYPE_DEFAULT;
		tgid = 1000 + (uint32_t)(rng_next(rng) % 9000);
		r = op_open(sc, type, tgid, tgid + (uint32_t)(rng_next(rng) % 4),
			    DEFAULT_UID, comms[rng_next(rng) % ELEMENTSOF(comms)], &id);
		if (r < 0 && !refused(r))
			return r;
		if (r < 0)
			st->refused++;
		else
			st->opens++;
		return 0;
	}
	if (what < 850) {
		st->closes++;
		return op_close(sc, nth_window(sc->model, rng_next(rng) % n));
	}
	if (what < 998) {
		type = (uint32_t)(rng_next(rng) % 2);
		st->credits++;
		return op_credits(sc, type, (uint32_t)(rng_next(rng) %
				  (fk_model_initial_credits(sc->model, type) + 9)));
	}
	st->migrations++;
	return op_migrate(sc, sc->next_stream++, sc->cfg.ack_timeout_ms,
			  sc->cfg.pause_ms, false, 0);
}

static void log_rate(const char *what, uint64_t seq_before, uint64_t start,
		     const struct fk_model *m)
{
	double s = (double)(now_mono() - start) / 1e9;
	uint64_t n = fk_model_seq(m) - seq_before;

	fk_log("%s: %" PRIu64 " events (seq %" PRIu64 "..%" PRIu64 ") in %.3f s, %.0f events/s",
	       what, n, seq_before + 1, fk_model_seq(m), s,
	       s > 0 ? (double)n / s : 0.0);
}

static int cmd_random(struct fk_script *sc, const struct args *a)
{
	struct random_stats st = { 0 };
	uint64_t n, seed, start = now_mono(), seq = fk_model_seq(sc->model);
	const char *v;
	char what[160];
	int r;

	r = arg_uint(sc, "random", a->v[0], UINT64_MAX, &n);
	if (r < 0)
		return r;
	if (a->n > 1) {
		v = kv(a->v[1], "seed");
		if (!v)
			return script_error(sc, "random: expected seed=S, got '%s'",
					    a->v[1]);
		r = arg_uint(sc, "seed", v, UINT64_MAX, &seed);
		if (r < 0)
			return r;
		sc->rng = seed;
	}
	for (uint64_t i = 0; i < n; i++) {
		r = random_op(sc, &st);
		if (r >= 0)
			r = yield(sc);
		if (r < 0)
			return r;
	}
	snprintf(what, sizeof(what),
		 "random %" PRIu64 ": %" PRIu64 " opens (%" PRIu64 " refused), %" PRIu64 " closes, %" PRIu64 " credit changes, %" PRIu64 " migrations",
		 n, st.opens, st.refused, st.closes, st.credits,
		 st.migrations);
	log_rate(what, seq, start, sc->model);
	return 0;
}

static int cmd_burst(struct fk_script *sc, const struct args *a)
{
	uint64_t n, start = now_mono(), seq = fk_model_seq(sc->model);
	char what[64];
	uint32_t id;
	int r;

	r = arg_uint(sc, "burst", a->v[0], UINT64_MAX, &n);
	if (r < 0)
		return r;
	for (uint64_t i = 0; i < n; i++) {
		r = op_open(sc, VAS_WIN_TYPE_DEFAULT, DEFAULT_TGID,
			    DEFAULT_TGID, DEFAULT_UID, "burst", &id);
		if (r < 0 && !refused(r))
			return r;
		if (r < 0) {
			fk_log("burst: open refused after %" PRIu64 " pairs: %s",
			       i, strerror(-r));
			break;
		}
		r = op_close(sc, id);
		if (r >= 0)
			r = yield(sc);
		if (r < 0)
			return r;
	}
	snprintf(what, sizeof(what), "burst %" PRIu64, n);
	log_rate(what, seq, start, sc->model);
	return 0;
}

static int cmd_sleep(struct fk_script *sc, const struct args *a)
{
	uint64_t ms;
	int r;

	r = arg_uint(sc, "sleep", a->v[0], UINT32_MAX, &ms);
	if (r < 0)
		return r;
	r = serve_until(sc, now_mono() + ms * 1000000u, NULL);
	return r < 0 ? r : 0;
}

static bool enough_listeners(struct fk_script *sc)
{
	return fk_server_n_listeners(sc->server) >= sc->want_listeners;
}

static int cmd_wait_client(struct fk_script *sc, const struct args *a)
{
	uint64_t n = 1;
	int r;

	if (a->n > 0) {
		r = arg_uint(sc, "wait-client", a->v[0], SIZE_MAX, &n);
		if (r < 0)
			return r;
	}
	sc->want_listeners = (size_t)n;
	r = serve_until(sc, FK_FOREVER, enough_listeners);
	if (r < 0)
		return r;
	fk_log("wait-client: %zu events connection(s)",
	       fk_server_n_listeners(sc->server));
	return 0;
}

static bool has_coordinator(struct fk_script *sc)
{
	return fk_server_has_coordinator(sc->server);
}

static int cmd_wait_coordinator(struct fk_script *sc, const struct args *a)
{
	int r = serve_until(sc, FK_FOREVER, has_coordinator);

	return r < 0 ? r : 0;
}

static int cmd_truth(struct fk_script *sc, const struct args *a)
{
	int r = fk_truth_write(sc->model, sc->server, a->v[0]);

	if (r < 0)
		return script_error(sc, "truth %s: %s", a->v[0], strerror(-r));
	fk_log("truth: seq %" PRIu64 ", %zu windows, written to %s",
	       fk_model_seq(sc->model), fk_model_n_windows(sc->model),
	       a->v[0]);
	return 0;
}

struct command {
	const char *name;
	int (*fn)(struct fk_script *sc, const struct args *a);
	size_t min_args;
	size_t max_args;
};

static const struct command commands[] = {
	{ "open", cmd_open, 0, 5 },
	{ "close", cmd_close, 1, 1 },
	{ "close-newest", cmd_close_end, 0, 0 },
	{ "close-oldest", cmd_close_end, 0, 0 },
	{ "credits", cmd_credits, 2, 2 },
	{ "migrate", cmd_migrate, 0, 5 },
	{ "drop", cmd_drop, 1, 1 },
	{ "reload", cmd_reload, 0, 0 },
	{ "random", cmd_random, 1, 2 },
	{ "burst", cmd_burst, 1, 1 },
	{ "sleep", cmd_sleep, 1, 1 },
	{ "wait-client", cmd_wait_client, 0, 1 },
	{ "wait-coordinator", cmd_wait_coordinator, 0, 0 },
	{ "truth", cmd_truth, 1, 1 },
};

/* Returns 1 for "exit" (*ret_status set), 0 or a negative errno. */
static int execute(struct fk_script *sc, char *line, int *ret_status)
{
	struct args a = { 0 };
	char *save = NULL, *tok, *hash;

	hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	tok = strtok_r(line, " \t\r", &save);
	if (!tok)
		return 0;
	a.cmd = tok;
	while ((tok = strtok_r(NULL, " \t\r", &save))) {
		if (a.n == ARGS_MAX)
			return script_error(sc, "%s: too many arguments", a.cmd);
		a.v[a.n++] = tok;
	}

	if (strcmp(a.cmd, "exit") == 0) {
		uint64_t status = 0;
		int r;

		if (a.n > 1)
			return script_error(sc, "exit: too many arguments");
		if (a.n == 1) {
			r = arg_uint(sc, "exit", a.v[0], 255, &status);
			if (r < 0)
				return r;
		}
		*ret_status = (int)status;
		return 1;
	}
	for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
		const struct command *c = &commands[i];

		if (strcmp(a.cmd, c->name) != 0)
			continue;
		if (a.n < c->min_args || a.n > c->max_args)
			return script_error(sc, "%s: %zu to %zu arguments, got %zu",
					    c->name, c->min_args, c->max_args,
					    a.n);
		return c->fn(sc, &a);
	}
	return script_error(sc, "unknown command '%s'", a.cmd);
}

/*
 * The next line into *ret (NUL-terminated, in sc->buf): 1, or 0 at the
 * end of the script. The socket is served while the line is not there.
 */
static int next_line(struct fk_script *sc, char **ret)
{
	for (;;) {
		char *nl = memchr(sc->buf, '\n', sc->len);
		bool ready = false;
		ssize_t n;
		int r;

		if (nl || (sc->eof && sc->len > 0)) {
			size_t end = nl ? (size_t)(nl - sc->buf) : sc->len;

			sc->buf[end] = '\0';
			sc->line_len = nl ? end + 1 : end;
			*ret = sc->buf;
			sc->line_no++;
			return 1;
		}
		if (sc->eof)
			return 0;
		if (sc->len == LINE_MAX_LEN) {
			sc->line_no++;
			return script_error(sc, "line longer than %d bytes",
					    LINE_MAX_LEN);
		}

		while (!ready) {
			r = fk_server_turn(sc->server, FK_FOREVER, sc->fd,
					   &ready);
			if (r < 0)
				return r;
			if (fk_server_terminated(sc->server))
				return -ECANCELED;
		}
		n = read(sc->fd, sc->buf + sc->len, LINE_MAX_LEN - sc->len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			sc->eof = true;
		sc->len += (size_t)n;
	}
}

/* Forget the current line. */
static void consume_line(struct fk_script *sc)
{
	memmove(sc->buf, sc->buf + sc->line_len, sc->len - sc->line_len);
	sc->len -= sc->line_len;
	sc->line_len = 0;
}

int fk_script_run(struct fk_script *sc, int *ret_status)
{
	for (;;) {
		char line[LINE_MAX_LEN + 1], *raw = NULL;
		size_t blank;
		int r;

		r = next_line(sc, &raw);
		if (r <= 0)
			return r;
		/* a copy: execute() cuts it up, the buffer moves on */
		snprintf(line, sizeof(line), "%s", raw);
		consume_line(sc);
		blank = strspn(line, " \t\r");
		if (line[blank] && line[blank] != '#')
			fk_log("%s:%u: %s", sc->name, sc->line_no, line);
		r = execute(sc, line, ret_status);
		if (r != 0)
			return r;
		r = yield(sc);
		if (r < 0)
			return r;
	}
}
