// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas-spec-dump: print lib/netlink/vas-spec's table as JSON, in the terms
 * of proto/vas.yaml, for check-proto.py to compare with the spec. Reading
 * the table through the code that the decoder and the encoder use, rather
 * than parsing its source, is what makes the comparison about the table
 * they really use.
 *
 * {"attribute-sets": [{"name": ..., "attributes": [{"name", "value",
 *   "type", "nested-attributes"?}]}],
 *  "operations": [{"name", "value", "event", "attributes": [names]}]}
 */
#include <stdbool.h>
#include <stdio.h>

#include "netlink/vas-spec.h"

/* A nested set is printed once, after the set that nests it. */
#define SETS_MAX 8

static const struct vas_attr_set *sets[SETS_MAX];
static size_t n_sets;
static bool overflow;

static void add_set(const struct vas_attr_set *set)
{
	for (size_t i = 0; i < n_sets; i++)
		if (sets[i] == set)
			return;
	if (n_sets == SETS_MAX) {
		fprintf(stderr, "vas-spec-dump: more than %d sets\n", SETS_MAX);
		overflow = true;
		return;
	}
	sets[n_sets++] = set;
}

static void print_set(const struct vas_attr_set *set)
{
	const char *sep = "";

	printf("    {\"name\": \"%s\", \"attributes\": [\n", set->name);
	for (size_t type = 0; type < set->n_attrs; type++) {
		const struct vas_attr *a = &set->attrs[type];

		if (a->kind == VAS_ATTR_NONE)
			continue;
		printf("%s      {\"name\": \"%s\", \"value\": %zu, \"type\": \"%s\"",
		       sep, a->name, type, vas_attr_kind_to_string(a->kind));
		if (a->kind == VAS_ATTR_NEST) {
			printf(", \"nested-attributes\": \"%s\"", a->nest->name);
			add_set(a->nest);
		}
		printf("}");
		sep = ",\n";
	}
	printf("\n    ]}");
}

static void print_cmd(uint32_t value, const struct vas_cmd *c)
{
	const char *sep = "";

	printf("    {\"name\": \"%s\", \"value\": %u, \"event\": %s, \"attributes\": [",
	       c->name, value, c->event ? "true" : "false");
	for (size_t type = 0; type < vas_spec_top.n_attrs; type++) {
		if (!(c->attrs & VAS_SPEC_BIT(type)))
			continue;
		printf("%s\"%s\"", sep, vas_spec_top.attrs[type].name);
		sep = ", ";
	}
	printf("]}");
}

int main(void)
{
	const char *sep = "";

	printf("{\n  \"attribute-sets\": [\n");
	add_set(&vas_spec_top);
	for (size_t i = 0; i < n_sets; i++) {
		printf("%s", i ? ",\n" : "");
		print_set(sets[i]);
	}
	printf("\n  ],\n  \"operations\": [\n");
	for (uint32_t cmd = 0; cmd <= UINT8_MAX; cmd++) {
		const struct vas_cmd *c = vas_spec_cmd(cmd);

		if (!c)
			continue;
		printf("%s", sep);
		print_cmd(cmd, c);
		sep = ",\n";
	}
	printf("\n  ]\n}\n");
	return overflow ? 1 : 0;
}
