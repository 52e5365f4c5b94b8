// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvasclient as libnxz would load it: dlopen() at run time, every symbol
 * of the header found at version VASCLIENT_0 (dlvsym), a client made and
 * freed without a bus, and dlclose(): the atfork handlers go with the
 * library, so a fork() after it does not call into unmapped code.
 */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vasclient.h"
#include "test.h"

/* ISO C has no cast from dlvsym()'s void * to a function pointer: copy it */
#define SYM(h, name) __extension__ ({					\
		__typeof__(&name) f_;					\
		void *p_ = dlvsym(h, #name, "VASCLIENT_0");		\
		ASSERT(p_ != NULL);					\
		memcpy(&f_, &p_, sizeof(f_));				\
		f_;							\
	})

int main(void)
{
	static const char *const names[] = {
		"vasclient_new", "vasclient_unref", "vasclient_set_callbacks",
		"vasclient_start", "vasclient_start_thread", "vasclient_get_fd",
		"vasclient_get_events", "vasclient_get_timeout", "vasclient_process",
		"vasclient_drained", "vasclient_get_state", "vasclient_has_lock",
		"vasclient_event_name",
	};
	void *h = dlopen(VASCLIENT_SO, RTLD_NOW | RTLD_LOCAL);
	vasclient *c = NULL;
	int status;
	pid_t pid;

	ASSERT(h != NULL);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ASSERT(dlvsym(h, names[i], "VASCLIENT_0") != NULL);
	/* nothing else: the internals are local */
	ASSERT(dlsym(h, "vasclient_backoff_usec") == NULL);
	ASSERT(dlsym(h, "vasclient_register") == NULL);

	ASSERT_STR_EQ(SYM(h, vasclient_event_name)(VASCLIENT_LOCK_TAKEN_AGAIN), "lock-taken-again");
	ASSERT_NULL(SYM(h, vasclient_event_name)((enum vasclient_event)1000));
	ASSERT_INT_EQ(SYM(h, vasclient_new)(&c, "", "why", VASCLIENT_DELAY), -EINVAL);
	ASSERT_INT_EQ(SYM(h, vasclient_new)(&c, "who", "why", (enum vasclient_mode)7), -EINVAL);
	ASSERT_INT_EQ(SYM(h, vasclient_new)(&c, "who", "why", VASCLIENT_DELAY), 0);
	ASSERT_INT_EQ(SYM(h, vasclient_get_state)(c), VASCLIENT_RUNNING);
	ASSERT_INT_EQ(SYM(h, vasclient_has_lock)(c), 0);
	/* not started: no connection, nothing to wait for */
	ASSERT_INT_EQ(SYM(h, vasclient_get_fd)(c), -ENOTCONN);
	ASSERT_INT_EQ(SYM(h, vasclient_process)(c), -ENOTCONN);
	ASSERT_INT_EQ(SYM(h, vasclient_drained)(c), -ESTALE);

	/* a fork with the handlers in place: the child's copy is dead */
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0)
		_exit(SYM(h, vasclient_has_lock)(c) == -ECHILD ? 0 : 1);
	ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);

	ASSERT_NULL(SYM(h, vasclient_unref)(c));
	ASSERT_INT_EQ(dlclose(h), 0);

	/* the handlers were the library's: gone with it */
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0)
		_exit(0);
	ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 0;
}
