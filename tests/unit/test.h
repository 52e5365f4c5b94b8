/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The unit tests' assertions: on failure, print where and what, and exit
 * non-zero. No framework: each test is a program, meson runs it.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_FAIL(...) do {						\
		fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, __func__); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		exit(EXIT_FAILURE);					\
	} while (0)

#define ASSERT(expr) do {						\
		if (!(expr))						\
			TEST_FAIL("assertion failed: %s", #expr);	\
	} while (0)

#define ASSERT_INT_EQ(a, b) do {					\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (_a != _b)						\
			TEST_FAIL("%s == %s: %lld != %lld", #a, #b, _a, _b); \
	} while (0)

#define ASSERT_UINT_EQ(a, b) do {					\
		unsigned long long _a = (a), _b = (b);			\
		if (_a != _b)						\
			TEST_FAIL("%s == %s: %llu != %llu", #a, #b, _a, _b); \
	} while (0)

#define ASSERT_STR_EQ(a, b) do {					\
		const char *_a = (a), *_b = (b);			\
		if (!_a || !_b || strcmp(_a, _b) != 0)			\
			TEST_FAIL("%s == %s:\n  \"%s\"\n  \"%s\"", #a, #b, \
				  _a ? _a : "(null)", _b ? _b : "(null)"); \
	} while (0)

#define ASSERT_NULL(a) do {						\
		const void *_a = (a);					\
		if (_a)							\
			TEST_FAIL("%s is not NULL", #a);		\
	} while (0)
