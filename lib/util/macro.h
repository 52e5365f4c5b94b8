/* SPDX-License-Identifier: GPL-2.0-only */
/* Small helpers every part of the code uses. */
#pragma once

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* Run a function on scope exit, so that early returns cannot leak. */
#define _cleanup_(f) __attribute__((cleanup(f)))

/*
 * Define void NAMEp(TYPE **p) calling TYPE *NAME(TYPE *) (a free function
 * that accepts NULL and returns NULL), for _cleanup_(NAMEp).
 */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, name)		\
	static inline void name##p(type **p)		\
	{						\
		*p = name(*p);				\
	}
