/* ext4_from_tar(): stream a tar (libarchive) into a fresh ext4 filesystem
 * (libext2fs) inside a region of an image file, then lay the overlay over
 * it. Entry by entry, in one pass: nothing is extracted anywhere. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "images/ext4_internal.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/xalloc.h"

struct tar_src {
	struct archive *a;
	const char *tar_path;
	char *capture;                /* copy of the data for the capture hook, or NULL */
	uint64_t size;
};

static int tar_next(void *ctx, const void **buf, size_t *len, int64_t *off)
{
	struct tar_src *t = ctx;
	la_int64_t o;
	int r = archive_read_data_block(t->a, buf, len, &o);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r < ARCHIVE_WARN)
		return log_error_errno(archive_errno(t->a) > 0 ? archive_errno(t->a) : EIO,
				       "ext4: reading tar %s: %s", t->tar_path,
				       archive_error_string(t->a) ? archive_error_string(t->a) : "error");
	*off = o;
	if (t->capture && o >= 0 && (uint64_t)o + *len <= t->size)
		memcpy(t->capture + o, *buf, *len);
	return 1;
}

struct mem_src {
	const void *data;
	size_t len;
	bool done;
};

static int mem_next(void *ctx, const void **buf, size_t *len, int64_t *off)
{
	struct mem_src *m = ctx;
	if (m->done || !m->len)
		return 0;
	m->done = true;
	*buf = m->data;
	*len = m->len;
	*off = 0;
	return 1;
}

/* An overlay file streamed from the host, checked against the size and
 * sha256 it had when the overlay was assembled. */
struct host_src {
	int fd;
	const char *path;
	uint64_t size, done;
	crypto_hash_sha256_state h;
	char *buf;
};

static int host_next(void *ctx, const void **buf, size_t *len, int64_t *off)
{
	struct host_src *s = ctx;
	ssize_t n;
	do
		n = read(s->fd, s->buf, 1 << 20);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return log_error_errno(errno, "ext4: reading %s", s->path);
	if ((n == 0 && s->done != s->size) || s->done + (uint64_t)n > s->size)
		return log_error_errno(EIO, "ext4: %s changed size while being copied", s->path);
	if (n == 0)
		return 0;
	crypto_hash_sha256_update(&s->h, (const unsigned char *)s->buf, (unsigned long long)n);
	*buf = s->buf;
	*len = (size_t)n;
	*off = (int64_t)s->done;
	s->done += (uint64_t)n;
	return 1;
}

static int write_host_file(struct ext4w *w, const char *path, const struct entry_meta *m,
			   const struct overlay_entry *o)
{
	struct host_src s = { .path = o->src_path, .size = o->len };
	s.fd = open_input(o->src_path, 0, SIZE_MAX);
	if (s.fd < 0)
		return log_error_errno(s.fd, "ext4: %s %s", o->src_path, input_strerror(s.fd));
	s.buf = xmalloc(1 << 20);
	crypto_hash_sha256_init(&s.h);
	int r = ext4w_write_file(w, path, m, false, o->len, host_next, &s, NULL);
	unsigned char md[crypto_hash_sha256_BYTES];
	char hex[65];
	crypto_hash_sha256_final(&s.h, md);
	sodium_bin2hex(hex, sizeof hex, md, sizeof md);
	if (r == 0 && o->src_sha256 && strcmp(hex, o->src_sha256))
		r = log_error_errno(EBADMSG, "ext4: %s changed while being copied (sha256 %s, was %s)", o->src_path,
				    hex, o->src_sha256);
	free(s.buf);
	close(s.fd);
	return r;
}

/* POSIX ACLs from the tar become system.posix_acl_* xattrs in the VFS
 * format (little-endian: u32 version 2, then {u16 tag, u16 perm, u32 id}). */
static size_t acl_to_xattr(struct archive_entry *e, int type, uint8_t **out)
{
	int n = archive_entry_acl_reset(e, type);
	if (n <= 0)
		return 0;
	uint8_t *b = xcalloc(4 + (size_t)n * 8, 1);
	size_t len = 4;
	b[0] = 2;
	int t, perm, tag, id, count = 0;
	const char *name;
	while (archive_entry_acl_next(e, type, &t, &perm, &tag, &id, &name) == ARCHIVE_OK &&
	       count < n) {
		uint16_t xt;
		switch (tag) {
		case ARCHIVE_ENTRY_ACL_USER_OBJ: xt = 0x01; break;
		case ARCHIVE_ENTRY_ACL_USER: xt = 0x02; break;
		case ARCHIVE_ENTRY_ACL_GROUP_OBJ: xt = 0x04; break;
		case ARCHIVE_ENTRY_ACL_GROUP: xt = 0x08; break;
		case ARCHIVE_ENTRY_ACL_MASK: xt = 0x10; break;
		case ARCHIVE_ENTRY_ACL_OTHER: xt = 0x20; break;
		default: continue;
		}
		uint16_t p = (uint16_t)(perm & 7);
		uint32_t q = (xt == 0x02 || xt == 0x08) ? (uint32_t)id : 0xffffffffu;
		uint8_t *d = b + len;
		d[0] = (uint8_t)xt; d[1] = (uint8_t)(xt >> 8);
		d[2] = (uint8_t)p; d[3] = (uint8_t)(p >> 8);
		d[4] = (uint8_t)q; d[5] = (uint8_t)(q >> 8); d[6] = (uint8_t)(q >> 16); d[7] = (uint8_t)(q >> 24);
		len += 8;
		count++;
	}
	/* the kernel wants entries sorted by tag, then id */
	size_t m = (len - 4) / 8;
	for (size_t i = 1; i < m; i++)
		for (size_t j = i; j > 0; j--) {
			uint8_t *x = b + 4 + (j - 1) * 8, *y = b + 4 + j * 8;
			uint64_t kx = ((uint64_t)(x[0] | x[1] << 8) << 32) | (uint32_t)(x[4] | x[5] << 8 | x[6] << 16 | (uint32_t)x[7] << 24);
			uint64_t ky = ((uint64_t)(y[0] | y[1] << 8) << 32) | (uint32_t)(y[4] | y[5] << 8 | y[6] << 16 | (uint32_t)y[7] << 24);
			if (kx <= ky)
				break;
			uint8_t tmp[8];
			memcpy(tmp, x, 8); memcpy(x, y, 8); memcpy(y, tmp, 8);
		}
	if (type == ARCHIVE_ENTRY_ACL_TYPE_ACCESS && m <= 3) {    /* just the mode bits */
		free(b);
		return 0;
	}
	*out = b;
	return len;
}

static int apply_tar_xattrs(struct ext4w *w, ext2_ino_t ino, struct archive_entry *e)
{
	size_t n = 0, cap = 0;
	struct xattr_item *x = NULL;
	uint8_t *acl[2] = { NULL, NULL };
	const char *name;
	const void *value;
	size_t size;
	if (archive_entry_xattr_reset(e) > 0)
		while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
			x = xgrow(x, &cap, n + 1, sizeof(*x));
			x[n++] = (struct xattr_item){ name, value, size };
		}
	static const struct { int type; const char *name; } acls[2] = {
		{ ARCHIVE_ENTRY_ACL_TYPE_ACCESS, "system.posix_acl_access" },
		{ ARCHIVE_ENTRY_ACL_TYPE_DEFAULT, "system.posix_acl_default" },
	};
	for (int i = 0; i < 2; i++) {
		size_t len = acl_to_xattr(e, acls[i].type, &acl[i]);
		if (len) {
			x = xgrow(x, &cap, n + 1, sizeof(*x));
			x[n++] = (struct xattr_item){ acls[i].name, acl[i], len };
		}
	}
	int r = ext4w_set_xattrs(w, ino, x, n);
	free(x);
	free(acl[0]);
	free(acl[1]);
	return r;
}

static void meta_from_entry(struct entry_meta *m, struct archive_entry *e)
{
	memset(m, 0, sizeof(*m));
	m->mode = (uint16_t)archive_entry_mode(e);
	m->uid = (uint32_t)archive_entry_uid(e);
	m->gid = (uint32_t)archive_entry_gid(e);
	m->mtime = archive_entry_mtime(e);
	m->mtime_ns = archive_entry_mtime_nsec(e);
	m->atime = m->ctime = m->mtime;
	m->atime_ns = m->ctime_ns = m->mtime_ns;
	if (archive_entry_atime_is_set(e)) {
		m->atime = archive_entry_atime(e);
		m->atime_ns = archive_entry_atime_nsec(e);
	}
	if (archive_entry_ctime_is_set(e)) {
		m->ctime = archive_entry_ctime(e);
		m->ctime_ns = archive_entry_ctime_nsec(e);
	}
	m->rdev_major = archive_entry_rdevmajor(e);
	m->rdev_minor = archive_entry_rdevminor(e);
}

/* Normalise a member name, then follow symlinks among its parents. */
static int normalize_resolve(struct ext4w *w, const char *name, bool absolute, char **out)
{
	char *n;
	int r = path_normalize(name, absolute, &n);
	if (r < 0)
		return r;
	r = path_resolve_parents(&w->map, n, out);
	free(n);
	return r;
}

static int path_error(int r, const char *kind, const char *name)
{
	if (r == -ELOOP)
		return log_error_errno(ELOOP, "ext4: %s \"%s\": too many levels of symbolic links",
				       kind, name);
	if (r == -EPERM)
		return log_error_errno(EPERM, "ext4: %s \"%s\": absolute paths and \"..\" are refused",
				       kind, name);
	return log_error_errno(r, "ext4: %s \"%s\": bad path", kind, name);
}

static int write_tar_entry(struct ext4w *w, struct archive *a, struct archive_entry *e,
			   const char *tar_path, const struct ext4_capture *cap)
{
	const char *name = archive_entry_pathname(e);
	if (!name)
		return log_error_errno(EINVAL, "ext4: tar %s: entry without a name", tar_path);
	w->what = name;
	char *path = NULL, *target = NULL;
	int r = normalize_resolve(w, name, false, &path);
	if (r < 0)
		return path_error(r, "tar entry", name);
	struct entry_meta m;
	meta_from_entry(&m, e);
	ext2_ino_t ino = 0;
	const char *hl = archive_entry_hardlink(e);
	w->entries++;
	if (hl) {
		if ((r = normalize_resolve(w, hl, false, &target)) < 0)
			r = path_error(r, "hard link target of", name);
		else
			r = ext4w_hardlink(w, path, target, true);
		goto out;                         /* xattrs belong to the target's entry */
	}
	switch (m.mode & LINUX_S_IFMT) {
	case LINUX_S_IFDIR:
		r = ext4w_mkdir(w, path, &m, true, &ino);
		break;
	case LINUX_S_IFREG: {
		struct tar_src src = { .a = a, .tar_path = tar_path };
		int64_t sz = archive_entry_size(e);
		src.size = sz > 0 ? (uint64_t)sz : 0;
		char *abs = xasprintf("/%s", path);
		if (cap && cap->want && cap->want(cap->ud, abs))
			src.capture = xcalloc(src.size ? src.size : 1, 1);
		r = ext4w_write_file(w, path, &m, true, src.size, tar_next, &src, &ino);
		if (r >= 0 && src.capture)
			cap->take(cap->ud, abs, src.capture, src.size);
		else
			free(src.capture);
		free(abs);
		break;
	}
	case LINUX_S_IFLNK: {
		const char *t = archive_entry_symlink(e);
		r = ext4w_symlink(w, path, &m, true, t ? t : "", &ino);
		break;
	}
	case LINUX_S_IFCHR:
	case LINUX_S_IFBLK:
	case LINUX_S_IFIFO:
	case LINUX_S_IFSOCK:
		r = ext4w_mknod(w, path, &m, true, &ino);
		break;
	default:
		r = log_error_errno(EINVAL, "ext4: tar entry \"%s\": unsupported type 0%o", name,
				    (unsigned)(m.mode & LINUX_S_IFMT));
	}
	if (r >= 0)
		r = apply_tar_xattrs(w, ino, e);
out:
	free(path);
	free(target);
	return r;
}

static int write_overlay(struct ext4w *w, const struct overlay_entry *o)
{
	char *path;
	w->what = o->path;
	if (!o->path || o->path[0] != '/')
		return log_error_errno(EINVAL, "ext4: overlay path \"%s\" is not absolute",
				       o->path ? o->path : "(null)");
	int r = normalize_resolve(w, o->path, true, &path);
	if (r < 0)
		return path_error(r, "overlay", o->path);
	struct entry_meta m = {
		.uid = o->uid, .gid = o->gid,
		.atime = w->now, .mtime = w->now, .ctime = w->now,
	};
	switch (o->type) {
	case OVERLAY_FILE: {
		struct mem_src src = { .data = o->data, .len = o->len };
		m.mode = (uint16_t)(LINUX_S_IFREG | (o->mode & 07777));
		r = o->data || !o->src_path ? ext4w_write_file(w, path, &m, false, o->len, mem_next, &src, NULL)
					    : write_host_file(w, path, &m, o);
		break;
	}
	case OVERLAY_DIR:
		m.mode = (uint16_t)(LINUX_S_IFDIR | (o->mode & 07777));
		r = ext4w_mkdir(w, path, &m, false, NULL);
		break;
	case OVERLAY_SYMLINK:
		m.mode = LINUX_S_IFLNK | 0777;
		r = ext4w_symlink(w, path, &m, false, o->target ? o->target : "", NULL);
		break;
	default:
		r = log_error_errno(EINVAL, "ext4: overlay \"%s\": unknown type", o->path);
	}
	w->entries++;
	free(path);
	return r;
}

/* After running out of space: read the rest of the tar's headers to say how
 * big the filesystem would have to be. */
static void report_too_small(struct ext4w *w, struct archive *a, uint64_t size,
			     const char *entry, uint32_t ratio)
{
	uint64_t bs = w->fs ? w->fs->blocksize : 4096, blocks = w->content_blocks;
	uint64_t entries = w->entries;
	struct archive_entry *e;
	while (a && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		entries++;
		int64_t sz = archive_entry_size(e);
		if (AE_IFREG == archive_entry_filetype(e) && sz > 0 && !archive_entry_hardlink(e))
			blocks += ((uint64_t)sz + bs - 1) / bs;
		else if (AE_IFDIR == archive_entry_filetype(e))
			blocks++;
	}
	/* data + journal, with room for inode tables, bitmaps, the 5% reserve
	 * and extent blocks; and enough inodes at the configured ratio */
	uint64_t data = blocks * bs;
	uint64_t need = data + data / 8 + (64ULL << 20);
	uint64_t for_inodes = (entries + 64) * ratio;
	if (for_inodes > need)
		need = for_inodes + for_inodes / 8;
	log_error("ext4: filesystem of %" PRIu64 " MiB is too small for the content (ran out at "
		  "\"%s\"): needs at least %" PRIu64 " MiB", size >> 20, entry ? entry : "?",
		  (need + (1 << 20) - 1) >> 20);
}

static struct archive *open_tar(const char *tar_path, int *err)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_filename(a, strcmp(tar_path, "-") ? tar_path : NULL, 1 << 20) != ARCHIVE_OK) {
		int e = archive_errno(a) > 0 ? archive_errno(a) : EIO;
		*err = log_error_errno(e, "ext4: cannot open tar %s: %s", tar_path,
				       archive_error_string(a) ? archive_error_string(a) : "error");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

int ext4_from_tar(const char *image_path, uint64_t offset, uint64_t size,
		  const struct ext4_params *p, const char *tar_path,
		  const struct overlay_entry *overlay, size_t n_overlay,
		  const struct ext4_capture *capture, ext4_progress_fn progress, void *progress_ud)
{
	int r = 0;
	struct archive *a = open_tar(tar_path, &r);
	if (!a)
		return r;
	struct ext4w w;
	memset(&w, 0, sizeof(w));
	w.now = p->timestamp >= 0 ? p->timestamp : (int64_t)time(NULL);
	w.clamp = p->timestamp;
	pathmap_init(&w.map);
	if ((r = ext4w_mkfs(&w, image_path, offset, size, p)) < 0)
		goto out;
	pathmap_put(&w.map, "", EXT2_ROOT_INO, LINUX_S_IFDIR | 0755);
	ext2_ino_t lpf;
	if (!ext2fs_lookup(w.fs, EXT2_ROOT_INO, "lost+found", 10, NULL, &lpf))
		pathmap_put(&w.map, "lost+found", lpf, LINUX_S_IFDIR | 0700);

	uint64_t last = 0;
	char *failed = NULL;
	for (;;) {
		struct archive_entry *e;
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar == ARCHIVE_WARN)
			log_warn("ext4: tar %s: %s", tar_path, archive_error_string(a));
		else if (ar != ARCHIVE_OK) {
			r = log_error_errno(archive_errno(a) > 0 ? archive_errno(a) : EIO,
					    "ext4: reading tar %s: %s", tar_path,
					    archive_error_string(a) ? archive_error_string(a) : "error");
			goto out;
		}
		if ((r = write_tar_entry(&w, a, e, tar_path, capture)) < 0) {
			failed = xstrdup(archive_entry_pathname(e) ? archive_entry_pathname(e) : "?");
			break;
		}
		uint64_t done = (uint64_t)archive_filter_bytes(a, -1);
		if (progress && done - last >= (4u << 20)) {
			progress(progress_ud, done);
			last = done;
		}
	}
	for (size_t i = 0; r >= 0 && i < n_overlay; i++)
		if ((r = write_overlay(&w, &overlay[i])) < 0)
			failed = xstrdup(overlay[i].path ? overlay[i].path : "?");
	if (r < 0) {
		if (r == -ENOSPC && w.nospace)
			report_too_small(&w, a, size, failed,
					 p->inode_ratio ? p->inode_ratio : 16384);
		free(failed);
		goto out;
	}
	w.what = NULL;
	if (progress)
		progress(progress_ud, (uint64_t)archive_filter_bytes(a, -1));
	r = ext4w_finish(&w);
out:
	if (w.fs)
		ext2fs_free(w.fs);        /* failed: drop it without writing anything more */
	pathmap_free(&w.map);
	ext4w_dirs_free(&w);
	free(w.iobuf);
	archive_read_free(a);
	return r;
}
