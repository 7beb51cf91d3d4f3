/* An initramfs as the Linux kernel unpacks it: a cpio archive in the "newc"
 * format, compressed with zstd, written with libarchive. No root needed:
 * device nodes and owners are archive entries. Reproducible: entries in path
 * order (parents first), inode numbers by position, owner root, one mtime.
 * zstd level 9: 19 saves 2.6 MB of the installer's 19 MB but takes 38 s
 * instead of 1.6 s here; the media's 32 MiB boot image has room.
 * Used for the installer media's initramfs (targets/media.c). Logs its
 * errors; returns 0 or -errno. */
#ifndef KILN_INITRAMFS_H
#define KILN_INITRAMFS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum initramfs_type { INITRAMFS_FILE, INITRAMFS_DIR, INITRAMFS_SYMLINK, INITRAMFS_CHARDEV };

struct initramfs_entry {
	char *path;                /* relative, no leading '/': "init", "usr/lib/..." */
	enum initramfs_type type;
	mode_t mode;               /* permission bits */
	void *data;                /* a file's bytes */
	size_t len;
	char *target;              /* a symlink's */
	unsigned major, minor;     /* a device's */
};

/* A growing list; add_* copy their arguments. */
struct initramfs {
	struct initramfs_entry *v;
	size_t n, cap;
};
void initramfs_add_dir(struct initramfs *f, const char *path, mode_t mode);
void initramfs_add_file(struct initramfs *f, const char *path, mode_t mode, const void *data, size_t len);
/* Takes data (malloc'd) over. */
void initramfs_add_file_owned(struct initramfs *f, const char *path, mode_t mode, void *data, size_t len);
void initramfs_add_symlink(struct initramfs *f, const char *path, const char *target);
void initramfs_add_chardev(struct initramfs *f, const char *path, mode_t mode, unsigned major, unsigned minor);
/* Has path (a file, directory or link) been added? */
bool initramfs_has(const struct initramfs *f, const char *path);
void initramfs_free(struct initramfs *f);

/* Every parent directory of every entry is added (0755) when missing;
 * then the archive is written to out (0644). compress: zstd, else plain. */
int initramfs_write(struct initramfs *f, const char *out, int64_t mtime, bool compress);
#endif
