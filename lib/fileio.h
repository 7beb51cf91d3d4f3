/* File helpers. All return 0 or a negative errno and do not log. */
#ifndef KILN_FILEIO_H
#define KILN_FILEIO_H
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The kinds of file open_input() may accept (a bit mask). */
#define INPUT_REGULAR 1u
#define INPUT_BLOCK   2u   /* a disk: kiln convert, kiln ec2 upload */

/* Open an input file without blocking: O_RDONLY|O_NONBLOCK|O_NOCTTY, so a
 * FIFO cannot hang the open and a terminal cannot become the controlling
 * one, after a stat() that refuses other kinds before opening them at all
 * (opening a device can have effects); then fstat the descriptor (the path
 * may have been swapped) and refuse again. O_NONBLOCK is cleared before
 * returning. Returns the descriptor (O_CLOEXEC) or -EISDIR for a directory,
 * -EINVAL for any kind not in allow (FIFO, socket, character device, ...),
 * another -errno. st, if not NULL, receives the descriptor's fstat. */
int open_input(const char *path, unsigned allow, struct stat *st);

/* strerror() for open_input()/read_file() results: -EINVAL reads "not a
 * regular file" rather than "Invalid argument". */
const char *input_strerror(int r);

/* Is path, an output about to be written, the file `in` describes (same
 * st_dev and st_ino, after following symlinks: hard links and symlinks to
 * the input count)? 1 yes, 0 no (or path does not exist yet), -errno when
 * path cannot be examined. Commands refuse to write over their input. */
int output_is_input(const char *path, const struct stat *in);

/* Read a whole regular file (opened with open_input) into a NUL-terminated
 * malloc'd buffer. Fails with -EFBIG if it is larger than max bytes. "-"
 * reads stdin, which may be a pipe. */
int read_file(const char *path, size_t max, char **out, size_t *len);

/* Write via "<path>.tmp-XXXXXX" in the same directory, fsync, chmod to mode,
 * rename over path: readers never see a half-written file. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* mkdir -p with the given mode for the directories it creates. */
int mkdir_p(const char *path, mode_t mode);

/* 0 if path is a regular file (or directory when dir=1) owned by us that no
 * group or other can read/write; -EPERM if it is too open, other -errno. */
int check_private(const char *path, int dir);

/* Join a and b with '/' into a malloc'd string. */
char *path_join(const char *a, const char *b);
#endif
