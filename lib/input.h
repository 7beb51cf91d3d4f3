/* Opening files that someone else may have put in place (configuration baked
 * into an image, state files, a seed, a CD-ROM or a disk) without being
 * hung or tricked by what is there:
 *   - the open never blocks: O_NONBLOCK, so a FIFO where a file should be, or
 *     a CD-ROM drive without a medium, returns at once (blocking mode is
 *     restored once the type is known);
 *   - the type is checked on the open descriptor before anything is read:
 *     a regular file (or, where asked, a block device);
 *   - the size is checked against the caller's limit before reading, and a
 *     file that grows while being read is refused too.
 * All return 0 (or an fd) or -errno and never log; input_strerror() words a
 * refusal so the caller can name the file: "<path> is a directory, not a
 * regular file". */
#ifndef KILN_INPUT_H
#define KILN_INPUT_H
#include <stddef.h>
#include <sys/stat.h>

enum input_flags {
	INPUT_BLOCKDEV = 1 << 0,   /* a block device is accepted too (open_input only) */
	INPUT_NOFOLLOW = 1 << 1,   /* the last component must not be a symbolic link */
	INPUT_PRIVATE  = 1 << 2,   /* owned by our euid, no access for group or others */
};

/* An O_RDONLY|O_CLOEXEC descriptor, or: -ENOENT, -ELOOP (a symbolic link
 * with INPUT_NOFOLLOW), -EISDIR, -EINVAL (neither a regular file nor an
 * accepted block device: FIFO, socket, character device), -EFBIG (a regular
 * file larger than max bytes), -EPERM (INPUT_PRIVATE not met), other -errno. */
int open_input(const char *path, int flags, size_t max);

/* The whole regular file, NUL-terminated, in a malloc'd buffer: the errors
 * of open_input, and -EFBIG if it grew past max while being read. */
int read_input(const char *path, int flags, size_t max, char **data, size_t *len);

/* "is a directory, not a regular file", "is missing", ... for the codes
 * above; "cannot be read (<strerror>)" for any other. */
const char *input_strerror(int r);

/* Is path, an output about to be written, the input file `in` describes
 * (same st_dev and st_ino, after following symlinks: a symlink or hard link
 * to the input counts)? 1 yes, 0 no (or path does not exist yet), -errno
 * when path cannot be examined. Commands refuse to write over their input. */
int output_is_input(const char *path, const struct stat *in);
#endif
