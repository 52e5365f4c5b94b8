// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "fk-truth.h"

static char *free_str(char *s)
{
	free(s);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(char, free_str)

static void json_put_json_free(json_object **o)
{
	json_object_put(*o);
}

static void add(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static json_object *window_json(const struct vas_window *w)
{
	json_object *o = json_object_new_object();

	add(o, "id", json_object_new_int64(w->id));
	add(o, "tgid", json_object_new_int64(w->tgid));
	add(o, "pid", json_object_new_int64(w->pid));
	add(o, "comm", json_object_new_string(w->comm));
	add(o, "cop", json_object_new_int64(w->cop));
	add(o, "type", json_object_new_int64(w->type));
	add(o, "state", json_object_new_int64(w->state));
	add(o, "reason", json_object_new_int64(w->reason));
	add(o, "opened_at", json_object_new_uint64(w->opened_at));
	add(o, "uid", json_object_new_int64(w->uid));
	return o;
}

static json_object *truth_json(const struct fk_model *m,
			       const struct fk_server *s)
{
	json_object *o = json_object_new_object();
	json_object *windows = json_object_new_array();
	json_object *caps = json_object_new_array();
	json_object *mig = json_object_new_object();
	const struct vas_window *w;
	struct vas_migration mg;

	for (w = fk_model_window_next(m, 0); w;
	     w = w->id == UINT32_MAX ? NULL : fk_model_window_next(m, w->id + 1))
		json_object_array_add(windows, window_json(w));

	for (uint32_t t = VAS_WIN_TYPE_DEFAULT; t <= VAS_WIN_TYPE_QOS; t++) {
		json_object *c = json_object_new_object();
		struct vas_caps vc;

		fk_model_caps_get(m, t, &vc);
		add(c, "type", json_object_new_int64(vc.type));
		add(c, "total", json_object_new_int64(vc.total));
		add(c, "used", json_object_new_int64(vc.used));
		json_object_array_add(caps, c);
	}

	fk_model_migration_get(m, &mg);
	add(mig, "stream_id", json_object_new_uint64(mg.stream_id));
	add(mig, "phase", json_object_new_int64(mg.phase));
	add(mig, "token", json_object_new_uint64(mg.token));

	add(o, "generation", json_object_new_uint64(fk_model_generation(m)));
	add(o, "seq", json_object_new_uint64(fk_model_seq(m)));
	add(o, "windows", windows);
	add(o, "caps", caps);
	add(o, "migration", mig);
	add(o, "coordinator",
	    json_object_new_boolean(fk_server_has_coordinator(s)));
	add(o, "listeners",
	    json_object_new_int64((int64_t)fk_server_n_listeners(s)));
	return o;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * fk_truth_write() - write the truth to @path, atomically
 * @m: the model
 * @s: the server (coordinator, listeners)
 * @path: where; its directory must be writable (the file is renamed there)
 *
 * Returns: 0 or a negative errno.
 */
int fk_truth_write(const struct fk_model *m, const struct fk_server *s,
		   const char *path)
{
	_cleanup_(json_put_json_free) json_object *o = truth_json(m, s);
	_cleanup_(free_strp) char *tmp = NULL;
	const char *text;
	int fd, r;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (!text)
		return -ENOMEM;

	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (r >= 0)
		r = write_all(fd, "\n", 1);
	if (close(fd) < 0 && r >= 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}
