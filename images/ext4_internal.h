/* Internals shared by the ext4 writer's files (ext4_mkfs.c, ext4_paths.c,
 * ext4_entries.c, ext4_writer.c). Not part of the public API. */
#ifndef KILN_EXT4_INTERNAL_H
#define KILN_EXT4_INTERNAL_H
#include <ext2fs/ext2fs.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "images/ext4_writer.h"

/* Path -> inode map of everything written so far. Keys are normalised
 * relative paths ("" is the root, "usr/bin/ls" a file). Lets every lookup,
 * hard link and replacement skip libext2fs' linear directory scans. */
struct pathmap_slot {
	char *path;
	ext2_ino_t ino;
	uint16_t mode;                /* LINUX_S_IF* type bits + permissions */
	char *link;                   /* symlink target, for following parent symlinks */
};
struct pathmap {
	struct pathmap_slot *slots;
	size_t cap, used;
};
void pathmap_init(struct pathmap *m);
void pathmap_free(struct pathmap *m);
struct pathmap_slot *pathmap_get(struct pathmap *m, const char *path);
void pathmap_put(struct pathmap *m, const char *path, ext2_ino_t ino, uint16_t mode);
void pathmap_set_link(struct pathmap *m, const char *path, const char *target);

/* The path with every symlink among its parent components followed, as tar
 * extraction and the kernel do (merged /usr: "bin/x" is "usr/bin/x"); the
 * last component is not followed. -ELOOP after 40 symlinks. */
int path_resolve_parents(struct pathmap *m, const char *path, char **out);

/* Normalise a tar member name into a relative path in a new string: drops
 * leading "./", "." components, repeated and trailing slashes. Fails with
 * -EPERM for absolute paths and any ".." component, -EINVAL if too long. */
int path_normalize(const char *in, bool allow_absolute, char **out);

/* The state of one ext4_from_tar() run. */
struct dirtail;
struct ext4w {
	ext2_filsys fs;
	int64_t now;                  /* filesystem times (params->timestamp or time()) */
	int64_t clamp;                /* entry times are clamped to this; <0 = no clamp */
	struct pathmap map;
	char *iobuf;                  /* zero-padded staging buffer for file data */
	size_t iobuf_len;
	uint64_t content_blocks;      /* blocks the entries need, for "too small" messages */
	uint64_t entries;
	bool nospace;                 /* an allocation failed: filesystem too small */
	const char *what;             /* entry being written, for error messages */
	struct dirtail *dirtails;     /* ext4_dirs.c: last block of each directory */
	size_t dirtail_cap, ndirtails;
};

/* What the tar (or overlay) says about an entry. */
struct entry_meta {
	uint16_t mode;                /* LINUX_S_IF* | permission bits */
	uint32_t uid, gid;
	int64_t atime, mtime, ctime;
	long atime_ns, mtime_ns, ctime_ns;
	uint32_t rdev_major, rdev_minor;
};

/* Data of a regular file, pulled chunk by chunk: returns 1 with a chunk at
 * logical offset *off, 0 at the end, or -errno (already logged). */
typedef int (*data_next_fn)(void *ctx, const void **buf, size_t *len, int64_t *off);

/* ext4_mkfs.c: create the empty filesystem (root dir, lost+found, journal). */
int ext4w_mkfs(struct ext4w *w, const char *image_path, uint64_t offset, uint64_t size,
	       const struct ext4_params *p);
/* Fix up and close the filesystem; returns 0 or -errno. */
int ext4w_finish(struct ext4w *w);

/* ext4_dirs.c: add a directory entry at the end of dir (fast path for
 * ext2fs_link); forget the cached block before libext2fs changes dir. */
errcode_t ext4w_dir_add(struct ext4w *w, ext2_ino_t dir, const char *name, ext2_ino_t ino,
			int ftype);
errcode_t ext4w_dir_forget(struct ext4w *w, ext2_ino_t dir);
errcode_t ext4w_dirs_flush(struct ext4w *w);
void ext4w_dirs_free(struct ext4w *w);

/* ext4_entries.c: each creates or replaces the entry at relative path `path`
 * and returns its inode in *ino (when ino is not NULL). All log on error. */
int ext4w_mkdir(struct ext4w *w, const char *path, const struct entry_meta *m,
		bool make_parents, ext2_ino_t *ino);
int ext4w_write_file(struct ext4w *w, const char *path, const struct entry_meta *m,
		     bool make_parents, uint64_t size, data_next_fn next, void *ctx,
		     ext2_ino_t *ino);
int ext4w_symlink(struct ext4w *w, const char *path, const struct entry_meta *m,
		  bool make_parents, const char *target, ext2_ino_t *ino);
int ext4w_mknod(struct ext4w *w, const char *path, const struct entry_meta *m,
		bool make_parents, ext2_ino_t *ino);
int ext4w_hardlink(struct ext4w *w, const char *path, const char *target, bool make_parents);
/* Set extended attributes (values in the VFS format, as getxattr returns
 * them; POSIX ACLs as system.posix_acl_access/default). */
struct xattr_item {
	const char *name;
	const void *value;
	size_t len;
};
int ext4w_set_xattrs(struct ext4w *w, ext2_ino_t ino, const struct xattr_item *x, size_t n);

/* Turn a libext2fs error code into a negative errno (and note ENOSPC). */
int ext4w_errno(struct ext4w *w, errcode_t e);
const char *ext4w_strerror(errcode_t e);
#endif
