// SPDX-License-Identifier: GPL-2.0-only
/*
 * The table of an event's fields (core/event-fields.h) against the
 * contract the ledger's rows, ReadEvents and the JSON export all follow.
 * The contract itself is read (LEDGER_EXPORT_MD, proto/ledger-export.md):
 * its tables of fields and its table of kinds, what each carries and the
 * names of each coordinator kind's what.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/event-fields.h"
#include "test.h"
#include "util/macro.h"

/* The names of an object's fields, in order, space-separated. */
static void field_names(const struct vasd_field_object *o, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t j = 0; j < o->n_fields; j++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", j ? " " : "",
					o->fields[j].name);
}

/* proto/ledger-export.md's tables of fields, in their order. */
static void test_names(void)
{
	static const struct {
		int object;
		const char *name;
		const char *fields;
	} want[] = {
		{ VASD_OBJECT_EVENT, NULL,
		  "generation seq lost_from timestamp recorded reason" },
		{ VASD_OBJECT_WINDOW, "window",
		  "id tgid pid comm cop type state reason opened_at uid" },
		{ VASD_OBJECT_CAPS, "caps", "type total used" },
		{ VASD_OBJECT_MIGRATION, "migration", "stream_id phase token" },
		{ VASD_OBJECT_COORD, "coord",
		  "migration lock since token count total pid uid comm what" },
	};
	char buf[256];

	ASSERT_UINT_EQ(ELEMENTSOF(want), _VASD_OBJECT_MAX);
	for (size_t i = 0; i < ELEMENTSOF(want); i++) {
		const struct vasd_field_object *o = &vasd_event_objects[want[i].object];

		if (want[i].name)
			ASSERT_STR_EQ(o->name, want[i].name);
		else
			ASSERT(!o->name);
		field_names(o, buf, sizeof(buf));
		ASSERT_STR_EQ(buf, want[i].fields);
	}
}

/* The contract's types: "hex string" for identifiers, names for enums. */
static void test_types(void)
{
	const struct vasd_field_object *o;

	for (size_t k = 0; k < _VASD_OBJECT_MAX; k++) {
		o = &vasd_event_objects[k];
		for (size_t j = 0; j < o->n_fields; j++) {
			const struct vasd_field *f = &o->fields[j];
			bool id = strcmp(f->name, "generation") == 0 ||
				  strcmp(f->name, "token") == 0;

			ASSERT_INT_EQ(f->type == VASD_FIELD_ID64, id);
			if (f->type == VASD_FIELD_ENUM || f->type == VASD_FIELD_NAME)
				ASSERT(f->to_string);
			if (f->type == VASD_FIELD_NAME)
				ASSERT(f->from_string);
			/* ReadEvents' head: (position, kind, timestamp, recorded) */
			ASSERT_INT_EQ(f->head, k == VASD_OBJECT_EVENT &&
				      (strcmp(f->name, "timestamp") == 0 ||
				       strcmp(f->name, "recorded") == 0));
		}
	}
	o = &vasd_event_objects[VASD_OBJECT_WINDOW];
	ASSERT_INT_EQ(o->fields[3].type, VASD_FIELD_COMM);
	ASSERT_INT_EQ(o->fields[4].type, VASD_FIELD_ENUM);
	o = &vasd_event_objects[VASD_OBJECT_COORD];
	ASSERT_INT_EQ(o->fields[o->n_fields - 1].type, VASD_FIELD_NAME);
}

/* What each kind stores is what the export prints: a fixed contract. */
static void test_kind_carries(void)
{
	ASSERT_UINT_EQ(vasd_event_kind_carries(VASD_EVENT_WINDOW_ADD),
		       VASD_CARRIES_SEQ | VASD_CARRIES_WINDOW);
	ASSERT_UINT_EQ(vasd_event_kind_carries(VASD_EVENT_RESYNC_WINDOW_DEL),
		       VASD_CARRIES_WINDOW);
	ASSERT_UINT_EQ(vasd_event_kind_carries(VASD_EVENT_CAPS_CHANGE),
		       VASD_CARRIES_SEQ | VASD_CARRIES_CAPS);
	ASSERT_UINT_EQ(vasd_event_kind_carries(VASD_EVENT_RESYNC_MIGRATION),
		       VASD_CARRIES_MIGRATION);
	ASSERT_UINT_EQ(vasd_event_kind_carries(VASD_EVENT_RESYNC_BEGIN),
		       VASD_CARRIES_REASON);
	ASSERT_UINT_EQ(vasd_event_kind_carries(VASD_EVENT_RESYNC_END),
		       VASD_CARRIES_SEQ);
	ASSERT_UINT_EQ(vasd_event_kind_carries(VASD_EVENT_DAEMON_START), 0);
	ASSERT_UINT_EQ(vasd_event_kind_carries(VASD_EVENT_INHIBITOR_TAKE),
		       VASD_CARRIES_COORD);
	ASSERT_UINT_EQ(vasd_event_kind_carries(VASD_EVENT_MIGRATION_OPEN),
		       VASD_CARRIES_COORD | VASD_CARRIES_MIGRATION);
	ASSERT_UINT_EQ(vasd_event_kind_carries(VASD_EVENT_MIGRATION_ANOMALY),
		       VASD_CARRIES_COORD | VASD_CARRIES_MIGRATION |
		       VASD_CARRIES_WINDOW);
	ASSERT_UINT_EQ(vasd_event_kind_carries(VASD_EVENT_MIGRATION_CLIENT_BLACKOUT),
		       VASD_CARRIES_COORD);
	for (int kind = VASD_EVENT_INHIBITOR_TAKE;
	     kind <= VASD_EVENT_MIGRATION_CLOSE; kind++)
		ASSERT(vasd_event_kind_carries(kind) & VASD_CARRIES_COORD);
	ASSERT_UINT_EQ(vasd_event_kind_carries(_VASD_EVENT_KIND_MAX), 0);
	ASSERT_UINT_EQ(vasd_event_kind_carries(-1), 0);
}

/* The keys an event has, as the export prints them: "seq", "coord.what". */
static void present(const struct vasd_event *ev, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < _VASD_OBJECT_MAX; k++) {
		const struct vasd_field_object *o = &vasd_event_objects[k];

		if (!vasd_event_has_object(ev, o))
			continue;
		for (size_t j = 0; j < o->n_fields; j++)
			if (vasd_event_has_field(ev, o, &o->fields[j]))
				len += (size_t)snprintf(buf + len, n - len, "%s%s%s%s",
							len ? " " : "",
							o->name ? o->name : "",
							o->name ? "." : "",
							o->fields[j].name);
	}
}

/* The kinds table of proto/ledger-export.md, for events whose values are 0. */
static void test_present(void)
{
#define W "window.id window.tgid window.pid window.comm window.cop window.type window.state window.reason window.opened_at window.uid"
#define C "coord.migration coord.lock coord.since coord.token coord.count coord.total coord.pid coord.uid coord.comm"
#define M "migration.stream_id migration.phase migration.token"
	static const struct {
		int kind;
		const char *keys;
	} want[] = {
		{ VASD_EVENT_WINDOW_ADD, "generation seq timestamp recorded " W },
		{ VASD_EVENT_CAPS_CHANGE, "generation seq timestamp recorded caps.type caps.total caps.used" },
		{ VASD_EVENT_MIGRATION_CHANGE, "generation seq timestamp recorded " M },
		{ VASD_EVENT_RESYNC_BEGIN, "timestamp recorded reason" },
		{ VASD_EVENT_RESYNC_WINDOW_DEL, "timestamp recorded " W },
		{ VASD_EVENT_RESYNC_END, "generation seq timestamp recorded" },
		{ VASD_EVENT_DAEMON_START, "timestamp recorded" },
		{ VASD_EVENT_INHIBITOR_TAKE, "timestamp recorded " C " coord.what" },
		{ VASD_EVENT_MIGRATION_OPEN, "timestamp recorded " M " " C " coord.what" },
		{ VASD_EVENT_MIGRATION_ASKED, "timestamp recorded " C },
		{ VASD_EVENT_MIGRATION_ACK, "timestamp recorded " M " " C },
		{ VASD_EVENT_MIGRATION_ANOMALY, "timestamp recorded " W " " M " " C " coord.what" },
		{ VASD_EVENT_MIGRATION_BLACKOUT, "timestamp recorded " C },
		{ VASD_EVENT_MIGRATION_CLOSE, "timestamp recorded " M " " C " coord.what" },
	};
#undef W
#undef C
#undef M
	struct vasd_event ev;
	char buf[1024];

	for (size_t i = 0; i < ELEMENTSOF(want); i++) {
		ev = (struct vasd_event) { .kind = want[i].kind };
		present(&ev, buf, sizeof(buf));
		ASSERT_STR_EQ(buf, want[i].keys);
	}

	/* resync-begin: generation and seq when it names them, lost_from for a gap */
	ev = (struct vasd_event) { .kind = VASD_EVENT_RESYNC_BEGIN,
				   .reason = VASD_RESYNC_GAP, .generation = 1,
				   .seq = 5, .lost_from = 2 };
	present(&ev, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "generation seq lost_from timestamp recorded reason");

	/* a window's uid when known: 0 is root's, VAS_UID_UNKNOWN none */
	ev = (struct vasd_event) { .kind = VASD_EVENT_WINDOW_DEL,
				   .window.uid = VAS_UID_UNKNOWN };
	present(&ev, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "generation seq timestamp recorded window.id window.tgid "
		      "window.pid window.comm window.cop window.type window.state "
		      "window.reason window.opened_at");
}

/* Every field reads and writes its own bytes of the struct. */
static void test_access(void)
{
	const struct vasd_field_object *o = &vasd_event_objects[VASD_OBJECT_COORD];
	struct vasd_event ev = { .kind = VASD_EVENT_MIGRATION_HOOK };
	void *obj = vasd_event_object_mut(&ev, o);

	for (size_t j = 0; j < o->n_fields; j++) {
		const struct vasd_field *f = &o->fields[j];

		if (f->type == VASD_FIELD_U64 || f->type == VASD_FIELD_ID64)
			vasd_field_set_u64(f, obj, 1000 + j);
		else if (f->type == VASD_FIELD_COMM)
			strcpy(vasd_field_comm_mut(f, obj), "drmgr");
		else
			vasd_field_set_u32(f, obj, (uint32_t)j);
	}
	ASSERT_UINT_EQ(ev.coord.migration, 1000);
	ASSERT_UINT_EQ(ev.coord.token, 1003);
	ASSERT_UINT_EQ(ev.coord.count, 4);
	ASSERT_UINT_EQ(ev.coord.uid, 7);
	ASSERT_STR_EQ(ev.coord.comm, "drmgr");
	ASSERT_UINT_EQ(ev.coord.what, 9);
	/* 9 is no hook phase; 2 is "pre" */
	ASSERT(!vasd_field_name(&o->fields[o->n_fields - 1], ev.kind, obj));
	ev.coord.what = VASD_HOOK_PRE;
	ASSERT_STR_EQ(vasd_field_name(&o->fields[o->n_fields - 1], ev.kind, obj), "pre");
}

/* ---- the contract, as proto/ledger-export.md writes it ---- */

static char *read_contract(void)
{
	FILE *f = fopen(LEDGER_EXPORT_MD, "re");
	char *buf = NULL;
	size_t n = 0;

	if (!f)
		TEST_FAIL("%s: cannot open", LEDGER_EXPORT_MD);
	if (getdelim(&buf, &n, '\0', f) < 0)
		TEST_FAIL("%s: cannot read", LEDGER_EXPORT_MD);
	fclose(f);
	return buf;
}

/* The line after the one that starts with prefix; fails when there is none. */
static const char *after_line(const char *doc, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = doc; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, prefix, n) == 0)
			return strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p);
	TEST_FAIL("the contract has no line starting %s", prefix);
}

/*
 * Append the `names` of s (up to end) to list, space-separated: those
 * followed by follow when it is not NULL.
 */
static void names(const char *s, const char *end, const char *follow,
		  char *list, size_t size)
{
	const char *a, *b;

	while ((a = memchr(s, '`', (size_t)(end - s))) &&
	       (b = memchr(a + 1, '`', (size_t)(end - a - 1)))) {
		if (!follow || strncmp(b + 1, follow, strlen(follow)) == 0)
			snprintf(list + strlen(list), size - strlen(list), "%s%.*s",
				 *list ? " " : "", (int)(b - a - 1), a + 1);
		s = b + 1;
	}
}

/* The first column of each row of the table that starts at p. */
static void table_names(const char *p, char *list, size_t size)
{
	*list = '\0';
	/* the header and its rule */
	p = strchr(strchr(p, '\n') + 1, '\n') + 1;
	while (*p == '|') {
		const char *end = strchr(p + 1, '|');

		names(p, end, NULL, list, size);
		p = strchr(p, '\n') + 1;
	}
}

/* list sorted, so that two lists compare as sets. */
static void sorted(char *list)
{
	char *words[64], out[512] = "";
	size_t n = 0;

	for (char *w = strtok(list, " "); w && n < ELEMENTSOF(words); w = strtok(NULL, " "))
		words[n++] = w;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(words[j - 1], words[j]) > 0; j--) {
			char *t = words[j];

			words[j] = words[j - 1];
			words[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
			 i ? " " : "", words[i]);
	strcpy(list, out);
}

static void table_fields(const struct vasd_field_object *o, char *list, size_t size)
{
	*list = '\0';
	for (size_t j = 0; j < o->n_fields; j++)
		snprintf(list + strlen(list), size - strlen(list), "%s%s",
			 *list ? " " : "", o->fields[j].name);
}

/* Each object's fields are the contract's table of them (as sets: what comes last in the output). */
static void test_contract_fields(const char *doc)
{
	static const struct {
		int object;
		const char *table;	/* the line the table follows */
		const char *line;	/* or the line that lists them */
	} where[] = {
		{ VASD_OBJECT_WINDOW, "`window`:", NULL },
		{ VASD_OBJECT_CAPS, NULL, "`caps`: " },
		{ VASD_OBJECT_MIGRATION, NULL, "`migration`: " },
		{ VASD_OBJECT_COORD, "`coord` (the fields", NULL },
	};
	const struct vasd_field_object *own = &vasd_event_objects[VASD_OBJECT_EVENT];
	char want[512], got[512];

	/* the event's fields: position, kind, its own, then its objects, in order */
	table_names(after_line(doc, "Events:"), want, sizeof(want));
	strcpy(got, "position kind");
	for (size_t j = 0; j < own->n_fields; j++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), " %s", own->fields[j].name);
	for (size_t k = VASD_OBJECT_EVENT + 1; k < _VASD_OBJECT_MAX; k++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), " %s",
			 vasd_event_objects[k].name);
	ASSERT_STR_EQ(got, want);

	for (size_t i = 0; i < ELEMENTSOF(where); i++) {
		if (where[i].table) {
			/* a blank line comes between the line and its table */
			table_names(after_line(after_line(doc, where[i].table), ""),
				    want, sizeof(want));
		} else {
			const char *p = after_line(doc, where[i].line);
			const char *start = strstr(doc, where[i].line);
			const char *end = strstr(p, "\n\n");

			*want = '\0';
			/* the fields are the names followed by their type */
			names(start + strlen(where[i].line), end, " (", want, sizeof(want));
		}
		table_fields(&vasd_event_objects[where[i].object], got, sizeof(got));
		sorted(want);
		sorted(got);
		ASSERT_STR_EQ(got, want);
	}
}

/* The keys of ev the contract lists: its own fields but the head's, and its objects. */
static void keys(const struct vasd_event *ev, char *list, size_t size)
{
	*list = '\0';
	for (size_t k = 0; k < _VASD_OBJECT_MAX; k++) {
		const struct vasd_field_object *o = &vasd_event_objects[k];

		if (!vasd_event_has_object(ev, o))
			continue;
		if (o->name) {
			snprintf(list + strlen(list), size - strlen(list), "%s%s",
				 *list ? " " : "", o->name);
			continue;
		}
		for (size_t j = 0; j < o->n_fields; j++)
			if (!o->fields[j].head && vasd_event_has_field(ev, o, &o->fields[j]))
				snprintf(list + strlen(list), size - strlen(list), "%s%s",
					 *list ? " " : "", o->fields[j].name);
	}
	sorted(list);
}

/*
 * The table of kinds: every kind, once; what it carries ("`reason`;
 * `generation`, `seq` for `gap` ..." : the first part always, the names
 * before "for" when set); and the names of its what, in order.
 */
static void test_contract_kinds(const char *doc)
{
	const struct vasd_field_object *own = &vasd_event_objects[VASD_OBJECT_EVENT];
	const struct vasd_field_object *coord = &vasd_event_objects[VASD_OBJECT_COORD];
	const struct vasd_field *what = vasd_event_field("coord", "what");
	const char *p = after_line(doc, "Kinds (");
	bool seen[_VASD_EVENT_KIND_MAX] = { false };
	char mentioned[4096] = "";

	ASSERT(what);
	p = strchr(strchr(p, '\n') + 1, '\n') + 1;
	for (; *p == '|'; p = strchr(p, '\n') + 1) {
		const char *c1 = p + 1, *c2 = strchr(c1, '|') + 1, *c3 = strchr(c2, '|') + 1;
		const char *eol = strchr(c3, '\n');
		char kinds[256] = "", always[256] = "", set[256] = "", whats[256] = "";
		char conditional[256];
		const char *paren = memchr(c3, '(', (size_t)(eol - c3));
		const char *semi = memchr(c3, ';', (size_t)(eol - c3));
		const char *first_end = semi ? semi : eol;

		names(c1, c2, NULL, kinds, sizeof(kinds));
		if (paren && paren < first_end) {
			/* "`coord` (`what`: `a`, `b`), `migration`" */
			const char *close = strchr(paren, ')');

			names(c3, paren, NULL, always, sizeof(always));
			names(close, first_end, NULL, always, sizeof(always));
			names(strchr(paren, ':'), close, NULL, whats, sizeof(whats));
		} else {
			/* "`generation`, `seq`: the ledger equals ...": before the colon */
			const char *colon = memchr(c3, ':', (size_t)(first_end - c3));

			names(c3, colon ? colon : first_end, NULL, always, sizeof(always));
		}
		for (const char *s = semi; s && s < eol;) {
			const char *next = memchr(s + 1, ';', (size_t)(eol - s - 1));
			const char *for_ = strstr(s, " for ");

			ASSERT(for_ && for_ < (next ? next : eol));
			names(s, for_, NULL, set, sizeof(set));
			s = next;
		}
		sorted(always);
		snprintf(set + strlen(set), sizeof(set) - strlen(set), "%s%s",
			 *set && *always ? " " : "", always);
		sorted(set);

		conditional[0] = '\0';
		for (const char *s = semi; s && s < eol;) {
			const char *next = memchr(s + 1, ';', (size_t)(eol - s - 1));

			names(s, strstr(s, " for "), NULL, conditional, sizeof(conditional));
			s = next;
		}
		for (char *save = NULL, *k = strtok_r(kinds, " ", &save); k;
		     k = strtok_r(NULL, " ", &save)) {
			int kind = vasd_event_kind_from_string(k);
			struct vasd_event ev = { .kind = kind };
			char got[256], cond[256], *save2 = NULL;

			if (kind < 0)
				TEST_FAIL("the contract's kind %s is not this build's", k);
			ASSERT(!seen[kind]);
			seen[kind] = true;

			keys(&ev, got, sizeof(got));
			ASSERT_STR_EQ(got, always);
			/* the conditional fields, set */
			strcpy(cond, conditional);
			for (char *c = strtok_r(cond, " ", &save2); c; c = strtok_r(NULL, " ", &save2)) {
				const struct vasd_field *f = vasd_event_field(NULL, c);

				ASSERT(f);
				vasd_field_set_u64(f, &ev, 1);
			}
			keys(&ev, got, sizeof(got));
			ASSERT_STR_EQ(got, set);
			snprintf(mentioned + strlen(mentioned),
				 sizeof(mentioned) - strlen(mentioned), " %s ", set);

			/* what: present exactly for the kinds that name its values, those */
			if (vasd_event_kind_carries(kind) & VASD_CARRIES_COORD) {
				char names_got[256] = "";

				ASSERT_INT_EQ(vasd_event_has_field(&ev, coord, what), *whats != '\0');
				for (uint32_t v = 0; what->to_string(kind, v); v++)
					snprintf(names_got + strlen(names_got),
						 sizeof(names_got) - strlen(names_got), "%s%s",
						 v ? " " : "", what->to_string(kind, v));
				ASSERT_STR_EQ(names_got, whats);
			} else {
				ASSERT_STR_EQ(whats, "");
			}
		}
	}
	for (int kind = 0; kind < _VASD_EVENT_KIND_MAX; kind++)
		if (!seen[kind])
			TEST_FAIL("kind %s is missing from the contract",
				  vasd_event_kind_to_string(kind));
	/* every field of the event's own but the head's is some kind's */
	for (size_t j = 0; j < own->n_fields; j++) {
		char word[64];

		snprintf(word, sizeof(word), " %s ", own->fields[j].name);
		if (!own->fields[j].head && !strstr(mentioned, word))
			TEST_FAIL("no kind carries %s in the contract", own->fields[j].name);
	}
}

int main(void)
{
	char *doc = read_contract();

	test_names();
	test_types();
	test_kind_carries();
	test_present();
	test_access();
	test_contract_fields(doc);
	test_contract_kinds(doc);
	free(doc);
	return 0;
}
