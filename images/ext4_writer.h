/* Writing an ext4 filesystem straight into (a region of) an image file with
 * libext2fs, from a tar stream read with libarchive: no extraction, no
 * mount, no loop device, no root. The layout engine (images/layout.c) calls
 * it once per image with the rootfs tar and the role overlay. */
#ifndef KILN_EXT4_WRITER_H
#define KILN_EXT4_WRITER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ext4_params {
	const char *label;            /* volume label, e.g. "root" */
	uint8_t uuid[16];             /* filesystem UUID (deterministic: caller derives it) */
	uint8_t hash_seed[16];        /* htree hash seed (deterministic) */
	int64_t timestamp;            /* SOURCE_DATE_EPOCH: fs creation/mount/write times and
	                                 the clamp for any later entry time; <0 = now */
	uint32_t block_size;          /* 4096 default when 0 */
	uint32_t inode_ratio;         /* bytes per inode; 0 = 16384 */
};

/* One extra entry laid over the tar (the role overlay): replaces a tar entry
 * of the same path. Parent directories must exist (in the tar or earlier in
 * the overlay). */
enum overlay_type { OVERLAY_FILE, OVERLAY_DIR, OVERLAY_SYMLINK };
struct overlay_entry {
	const char *path;             /* absolute, e.g. "/usr/sbin/kiln-firstboot" */
	enum overlay_type type;
	mode_t mode;                  /* permission bits */
	uid_t uid;
	gid_t gid;
	const void *data;             /* OVERLAY_FILE contents, or NULL: read from src_path */
	size_t len;                   /* bytes of data, or src_path's size */
	const char *src_path;         /* OVERLAY_FILE without data: a host file streamed in (a
	                                 regular file that must still be len bytes and, when
	                                 src_sha256 is set, hash to it: else an error) */
	const char *src_sha256;       /* 64 lowercase hex digits, or NULL */
	const char *target;           /* OVERLAY_SYMLINK target */
};

/* Called for every regular file in the tar; return true to receive a copy of
 * its contents via `take` (used to put the kernel and initrd on the ESP in
 * the same pass). `take` gets ownership of the malloc'd data. Paths are
 * absolute and normalised: "/boot/vmlinuz-6.1.0-18-amd64". */
struct ext4_capture {
	bool (*want)(void *ud, const char *path);
	void (*take)(void *ud, const char *path, void *data, size_t len);
	void *ud;
};

/* Progress: called now and then with bytes of tar consumed so far. */
typedef void (*ext4_progress_fn)(void *ud, uint64_t done_bytes);

/* Create an ext4 filesystem of `size` bytes at byte `offset` of the existing
 * file `image_path` (which must already be at least offset+size long; it is
 * written sparsely) and fill it from the tar at `tar_path` (any compression
 * libarchive reads; "-" = stdin), then the overlay. Refuses tar entries with
 * absolute-escaping or ".." paths. Returns 0 or -errno; on error logs once
 * with the offending entry's name. */
int ext4_from_tar(const char *image_path, uint64_t offset, uint64_t size,
		  const struct ext4_params *p, const char *tar_path,
		  const struct overlay_entry *overlay, size_t n_overlay,
		  const struct ext4_capture *capture, ext4_progress_fn progress, void *progress_ud);
#endif
