/* One file in an existing ext4 filesystem, read or written with libext2fs
 * in place: the filesystem sits at byte `offset` of `dev` (an image file or
 * a block device). No mount. kiln install uses it to read a role image's
 * /etc/kiln/role and to put the host's seed into the freshly written root
 * filesystem. Both log their errors once and return 0 or -errno. */
#ifndef KILN_EXT4_EDIT_H
#define KILN_EXT4_EDIT_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The regular file at absolute `path`; -ENOENT if missing, -EFBIG above
 * max bytes, -EINVAL if not a regular file. *out is malloc'd, NUL-ended. */
int ext4_read_file_at(const char *dev, uint64_t offset, const char *path, size_t max,
		      char **out, size_t *len);

/* Create or replace the regular file at absolute `path` (its directory must
 * exist) with `data`, mode, owner and mtime. Refuses (-EUCLEAN) a
 * filesystem whose journal needs recovery. */
int ext4_put_file_at(const char *dev, uint64_t offset, const char *path, const void *data,
		     size_t len, mode_t mode, uid_t uid, gid_t gid, int64_t mtime);
#endif
