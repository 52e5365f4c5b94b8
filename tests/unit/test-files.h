/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Files for the unit tests that use real ones (the ledger's SQLite files):
 * a private temporary directory, removed with its files at the end, and
 * whole-file reads to show that a file was left untouched.
 */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "test.h"

/* A new directory under $TMPDIR (or /tmp); malloc'ed path. */
static inline char *test_tmpdir_new(void)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (asprintf(&dir, "%s/vasd-test-XXXXXX", base && *base ? base : "/tmp") < 0)
		TEST_FAIL("out of memory");
	if (!mkdtemp(dir))
		TEST_FAIL("mkdtemp %s: %s", dir, strerror(errno));
	return dir;
}

/* Remove the directory and the plain files in it; frees dir. */
static inline void test_tmpdir_free(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		TEST_FAIL("opendir %s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) < 0)
			TEST_FAIL("unlink %s/%s: %s", dir, de->d_name,
				  strerror(errno));
	closedir(d);
	if (rmdir(dir) < 0)
		TEST_FAIL("rmdir %s: %s", dir, strerror(errno));
	free(dir);
}

static inline char *test_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		TEST_FAIL("out of memory");
	return p;
}

static inline size_t test_dir_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		TEST_FAIL("opendir %s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* A file's bytes and times, to compare before and after. */
struct test_file {
	bool exists;
	void *bytes;
	size_t size;
	struct timespec mtime;
};

static inline struct test_file test_file_read(const char *path)
{
	struct test_file f = { .exists = false };
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			TEST_FAIL("open %s: %s", path, strerror(errno));
		return f;
	}
	if (fstat(fd, &st) < 0)
		TEST_FAIL("fstat %s: %s", path, strerror(errno));
	f.exists = true;
	f.size = (size_t)st.st_size;
	f.mtime = st.st_mtim;
	f.bytes = malloc(f.size + 1);
	if (!f.bytes)
		TEST_FAIL("out of memory");
	n = pread(fd, f.bytes, f.size, 0);
	if (n < 0 || (size_t)n != f.size)
		TEST_FAIL("read %s: short", path);
	close(fd);
	return f;
}

static inline void test_file_write(const char *path, const void *bytes,
				   size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, bytes, size) != (ssize_t)size || close(fd) < 0)
		TEST_FAIL("write %s: %s", path, strerror(errno));
}

/* Same existence, bytes and modification time. */
static inline bool test_file_same(const struct test_file *a,
				  const struct test_file *b)
{
	if (a->exists != b->exists)
		return false;
	if (!a->exists)
		return true;
	return a->size == b->size && memcmp(a->bytes, b->bytes, a->size) == 0 &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static inline void test_file_free(struct test_file *f)
{
	free(f->bytes);
	f->bytes = NULL;
}

/* The size of the ledger's write-ahead log beside path. */
static inline off_t test_wal_size(const char *path)
{
	char *wal = NULL;
	struct stat st;

	if (asprintf(&wal, "%s-wal", path) < 0 || stat(wal, &st) < 0)
		TEST_FAIL("stat %s-wal: %s", path, strerror(errno));
	free(wal);
	return st.st_size;
}
