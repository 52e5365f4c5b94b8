// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas_sim.ko as a stock pseries kernel (family=N): no "vas" family, and the
 * credits in sysfs exactly where and as arch/powerpc/platforms/pseries/
 * vas-sysfs.c puts them: the paths, the modes, the "%d\n" format, the QoS
 * update file's parsing, nr_used_credits counting closed windows too. The
 * family parameter then registers and unregisters the family under live
 * windows, which the family lists at once.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmtest.h"

#define GZIP	"/sys/devices/virtual/misc/vas/vas0/gzip/"
#define DEF	GZIP "default_capabilities/"
#define QOS	GZIP "qos_capabilities/"

static void check_mode(const char *path, mode_t want)
{
	struct stat st;

	TEST_ASSERTF(stat(path, &st) == 0, "stat %s: %s", path,
		     strerror(errno));
	TEST_ASSERTF((st.st_mode & 07777) == want, "%s has mode %o, not %o",
		     path, st.st_mode & 07777, want);
}

/* The directory's entries, sorted, joined by spaces. */
static void check_entries(const char *dir, const char *want)
{
	struct dirent **names;
	char got[256] = "";
	int n, i;

	n = scandir(dir, &names, NULL, alphasort);
	TEST_ASSERTF(n >= 0, "scandir %s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			if (*got)
				strcat(got, " ");
			strcat(got, names[i]->d_name);
		}
		free(names[i]);
	}
	free(names);
	TEST_ASSERTF(!strcmp(got, want), "%s holds '%s', not '%s'", dir, got,
		     want);
}

/* The file's whole text is "@want\n". */
static void check_value(const char *path, int want)
{
	char buf[32], expect[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	TEST_ASSERTF(fd >= 0, "open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	TEST_ASSERTF(n >= 0, "read %s: %s", path, strerror(errno));
	close(fd);
	buf[n] = '\0';
	snprintf(expect, sizeof(expect), "%d\n", want);
	TEST_ASSERTF(!strcmp(buf, expect), "%s holds '%s', not '%d\\n'", path,
		     buf, want);
}

/* 0 or -errno of writing @text to update_total_credits. */
static int qos_update(const char *text)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(QOS "update_total_credits", O_WRONLY | O_CLOEXEC);
	TEST_ASSERTF(fd >= 0, "open update_total_credits: %s",
		     strerror(errno));
	n = write(fd, text, strlen(text));
	if (n < 0)
		err = -errno;
	else
		TEST_ASSERT_EQ((ssize_t)strlen(text), n);
	close(fd);
	return err;
}

static void check_param(const char *want)
{
	char buf[8] = "";
	ssize_t n;
	int fd;

	fd = open("/sys/module/vas_sim/parameters/family", O_RDONLY);
	TEST_ASSERT(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	TEST_ASSERT(n > 0);
	close(fd);
	TEST_ASSERTF(!strcmp(buf, want), "family is '%s'", buf);
}

/* The family, registered again, lists the windows opened without it. */
static void check_family_lists(unsigned int want)
{
	struct vt_reply *r = calloc(1, sizeof(*r));
	struct vt_nl *nl;

	TEST_ASSERT(r);
	TEST_ASSERT(vt_family_present());
	nl = vt_nl_new();
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_WINDOW_GET, true, r));
	TEST_ASSERT_EQ(want, r->n);
	TEST_ASSERT_EQ((unsigned int)getpid(), r->msgs[0].win.tgid);
	vt_nl_free(nl);
	free(r);
}

int main(void)
{
	int def, qos, fd;

	vt_setup("family=N default_credits=4 qos_credits=2");
	TEST_ASSERT(!vt_family_present());
	check_param("N\n");
	printf("stock: loaded without the %s family\n", VAS_FAMILY_NAME);

	check_entries(GZIP, "default_capabilities qos_capabilities");
	check_entries(DEF, "nr_total_credits nr_used_credits");
	check_entries(QOS,
		      "nr_total_credits nr_used_credits update_total_credits");
	check_mode(DEF "nr_total_credits", 0444);
	check_mode(DEF "nr_used_credits", 0444);
	check_mode(QOS "nr_total_credits", 0444);
	check_mode(QOS "nr_used_credits", 0444);
	check_mode(QOS "update_total_credits", 0200);
	check_value(DEF "nr_total_credits", 4);
	check_value(DEF "nr_used_credits", 0);
	check_value(QOS "nr_total_credits", 2);
	check_value(QOS "nr_used_credits", 0);

	def = vt_win_open(0);
	TEST_ASSERT(def >= 0);
	qos = vt_win_open(VAS_TX_WIN_FLAG_QOS_CREDIT);
	TEST_ASSERT(qos >= 0);
	check_value(DEF "nr_used_credits", 1);
	check_value(QOS "nr_used_credits", 1);

	/* drmgr's QoS update: kstrtou16 base 0, anything else -EINVAL */
	TEST_ASSERT_ERR(0, qos_update("5"));
	check_value(QOS "nr_total_credits", 5);
	TEST_ASSERT_ERR(0, qos_update("0x3\n"));
	check_value(QOS "nr_total_credits", 3);
	TEST_ASSERT_ERR(-EINVAL, qos_update("65536"));
	TEST_ASSERT_ERR(-EINVAL, qos_update("-1"));
	TEST_ASSERT_ERR(-EINVAL, qos_update("two"));
	check_value(QOS "nr_total_credits", 3);

	/* a window closed for lost credits still holds its credit */
	TEST_ASSERT_ERR(0, vt_debugfs_write("credits_default", "0"));
	check_value(DEF "nr_total_credits", 0);
	check_value(DEF "nr_used_credits", 1);
	TEST_ASSERT_ERR(0, qos_update("0"));
	check_value(QOS "nr_total_credits", 0);
	check_value(QOS "nr_used_credits", 1);
	TEST_ASSERT_ERR(0, vt_debugfs_write("credits_default", "4"));
	TEST_ASSERT_ERR(0, qos_update("2"));
	printf("stock: sysfs as pseries/vas-sysfs.c has it\n");

	/* the family comes and goes under live windows, twice */
	for (int i = 0; i < 2; i++) {
		vt_param_write("family", "Y");
		check_param("Y\n");
		check_family_lists(2);
		vt_param_write("family", "N");
		check_param("N\n");
		TEST_ASSERT(!vt_family_present());
	}
	fd = vt_win_open(0);
	TEST_ASSERT(fd >= 0);
	check_value(DEF "nr_used_credits", 2);
	vt_param_write("family", "1");
	check_family_lists(3);
	printf("stock: the family registered later lists every window\n");

	close(fd);
	close(qos);
	close(def);
	check_value(DEF "nr_used_credits", 0);
	check_value(QOS "nr_used_credits", 0);
	vt_teardown();
	printf("stock: ok\n");
	return 0;
}
