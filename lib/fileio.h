/* File helpers. All return 0 or a negative errno and do not log. */
#ifndef KILN_FILEIO_H
#define KILN_FILEIO_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read a whole regular file into a NUL-terminated malloc'd buffer: "-" is
 * stdin (which may be a pipe), any other path is read with read_input()
 * (lib/input.h: never blocks on a FIFO, refuses anything but a regular
 * file). Fails with -EFBIG if it is larger than max bytes. */
int read_file(const char *path, size_t max, char **out, size_t *len);

/* Write via "<path>.tmp-XXXXXX" in the same directory, fsync, chmod to mode,
 * rename over path, fsync the directory: readers never see a half-written
 * file, and once this returns 0 the new file survives a power cut. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* fsync the directory holding path: a rename or create in it survives a
 * power cut only once this returns 0. */
int fsync_parent(const char *path);

/* mkdir -p with the given mode for the directories it creates. */
int mkdir_p(const char *path, mode_t mode);
/* Remove path and everything below it (symlinks not followed); best effort. */
void rm_rf(const char *path);

/* 0 if path is a regular file (or directory when dir=1) owned by us that no
 * group or other can read/write; -EPERM if it is too open, other -errno. */
int check_private(const char *path, int dir);

/* p as given when absolute, else relative to the directory holding file
 * (a profile's paths are relative to the profile); malloc'd. */
char *path_beside(const char *file, const char *p);

/* Join a and b with '/' into a malloc'd string. */
char *path_join(const char *a, const char *b);

/* pread/pwrite of exactly n bytes at off, retried on EINTR and short
 * transfers; -EIO if the file ends first. */
int pread_full(int fd, void *buf, size_t n, uint64_t off);
int pwrite_full(int fd, const void *buf, size_t n, uint64_t off);
#endif
