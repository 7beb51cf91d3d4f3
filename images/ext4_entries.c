/* Creating, replacing and linking the entries of the ext4 writer: one
 * function per kind of entry, all keyed by normalised relative path. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "images/ext4_internal.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/* Logs, except when the filesystem is full: ext4_from_tar() then reports
 * the size it would need, once. */
static int fail(struct ext4w *w, errcode_t e, const char *path, const char *step)
{
	int r = ext4w_errno(w, e);
	if (r == -ENOSPC && w->nospace)
		return r;
	return log_error_errno(r, "ext4: %s \"%s\": %s", step, w->what ? w->what : path,
			       ext4w_strerror(e));
}

static int ftype(uint16_t mode)
{
	switch (mode & LINUX_S_IFMT) {
	case LINUX_S_IFREG: return EXT2_FT_REG_FILE;
	case LINUX_S_IFDIR: return EXT2_FT_DIR;
	case LINUX_S_IFLNK: return EXT2_FT_SYMLINK;
	case LINUX_S_IFCHR: return EXT2_FT_CHRDEV;
	case LINUX_S_IFBLK: return EXT2_FT_BLKDEV;
	case LINUX_S_IFIFO: return EXT2_FT_FIFO;
	case LINUX_S_IFSOCK: return EXT2_FT_SOCK;
	default: return EXT2_FT_UNKNOWN;
	}
}

/* ext4 keeps seconds in 32 bits plus 2 epoch bits and nanoseconds in *extra. */
static void set_time(__u32 *lo, __u32 *extra, int64_t t, long ns, int64_t clamp)
{
	if (clamp >= 0 && t > clamp) {
		t = clamp;
		ns = 0;
	}
	if (ns < 0 || ns > 999999999)
		ns = 0;
	*lo = (__u32)t;
	*extra = ((__u32)ns << 2) | (__u32)(((t - (int32_t)t) >> 32) & 3);
}

static void apply_meta(struct ext4w *w, struct ext2_inode_large *in, const struct entry_meta *m)
{
	in->i_mode = (__u16)((in->i_mode & LINUX_S_IFMT) | (m->mode & 07777));
	in->i_uid = (__u16)m->uid;
	ext2fs_set_i_uid_high(*in, m->uid >> 16);
	in->i_gid = (__u16)m->gid;
	ext2fs_set_i_gid_high(*in, m->gid >> 16);
	set_time(&in->i_atime, &in->i_atime_extra, m->atime, m->atime_ns, w->clamp);
	set_time(&in->i_mtime, &in->i_mtime_extra, m->mtime, m->mtime_ns, w->clamp);
	set_time(&in->i_ctime, &in->i_ctime_extra, m->ctime, m->ctime_ns, w->clamp);
	set_time(&in->i_crtime, &in->i_crtime_extra, w->now, 0, -1);
	in->i_extra_isize = sizeof(struct ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
}

static errcode_t read_large(struct ext4w *w, ext2_ino_t ino, struct ext2_inode_large *in)
{
	memset(in, 0, sizeof(*in));
	return ext2fs_read_inode_full(w->fs, ino, (struct ext2_inode *)in, sizeof(*in));
}

/* Writes only the first 160 bytes: in-inode extended attributes after them survive. */
static errcode_t write_large(struct ext4w *w, ext2_ino_t ino, struct ext2_inode_large *in)
{
	return ext2fs_write_inode_full(w->fs, ino, (struct ext2_inode *)in, sizeof(*in));
}

/* A brand-new inode: the whole on-disk slot, so no stale bytes survive. */
static errcode_t write_fresh(struct ext4w *w, ext2_ino_t ino, struct ext2_inode_large *in)
{
	char buf[1024] = { 0 };
	unsigned isz = EXT2_INODE_SIZE(w->fs->super);
	memcpy(buf, in, sizeof(*in));
	return ext2fs_write_inode_full(w->fs, ino, (struct ext2_inode *)buf, (int)isz);
}

static int set_meta(struct ext4w *w, ext2_ino_t ino, const char *path, const struct entry_meta *m)
{
	struct ext2_inode_large in;
	errcode_t e = read_large(w, ino, &in);
	if (!e) {
		apply_meta(w, &in, m);
		e = write_large(w, ino, &in);
	}
	return e ? fail(w, e, path, "setting owner/mode/times of") : 0;
}

static int link_into(struct ext4w *w, ext2_ino_t dir, const char *name, ext2_ino_t ino,
		     uint16_t mode, const char *path)
{
	errcode_t e = ext4w_dir_add(w, dir, name, ino, ftype(mode));
	return e ? fail(w, e, path, "linking") : 0;
}

/* Drop one link to ino; free it (blocks, xattr block, inode) at zero. */
static int drop_link(struct ext4w *w, ext2_ino_t ino, const char *path)
{
	struct ext2_inode_large in;
	errcode_t e = read_large(w, ino, &in);
	if (e)
		return fail(w, e, path, "replacing");
	if (in.i_links_count > 1) {
		in.i_links_count--;
		e = write_large(w, ino, &in);
		return e ? fail(w, e, path, "replacing") : 0;
	}
	struct ext2_inode *small = (struct ext2_inode *)&in;
	if (ext2fs_inode_has_valid_blocks2(w->fs, small))
		e = ext2fs_punch(w->fs, ino, small, NULL, 0, ~0ULL);
	blk64_t ea = ext2fs_file_acl_block(w->fs, small);
	if (!e && ea) {
		__u32 count = 0;
		e = ext2fs_adjust_ea_refcount3(w->fs, ea, NULL, -1, &count, ino);
		if (!e && count == 0)
			ext2fs_block_alloc_stats2(w->fs, ea, -1);
		ext2fs_file_acl_block_set(w->fs, small, 0);
	}
	if (e)
		return fail(w, e, path, "replacing");
	in.i_links_count = 0;
	in.i_dtime = (__u32)w->now;
	if ((e = write_large(w, ino, &in)))
		return fail(w, e, path, "replacing");
	ext2fs_inode_alloc_stats2(w->fs, ino, -1, 0);
	return 0;
}

static const struct entry_meta *implicit_dir_meta(struct ext4w *w, struct entry_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->mode = LINUX_S_IFDIR | 0755;
	m->atime = m->mtime = m->ctime = w->now;
	return m;
}

/* Find (or create) the parent directory of path and make room for a new
 * entry named by the last component. *existing is set when path already is a
 * directory and a directory is wanted (then it is kept, not replaced). */
static int prepare(struct ext4w *w, const char *path, bool make_parents, bool want_dir,
		   ext2_ino_t *parent, const char **name, ext2_ino_t *existing)
{
	*existing = 0;
	if (!*path) {                             /* the root */
		if (!want_dir)
			return log_error_errno(EISDIR, "ext4: \"%s\": the root must be a directory",
					       w->what ? w->what : "/");
		*existing = EXT2_ROOT_INO;
		return 0;
	}
	const char *slash = strrchr(path, '/');
	*name = slash ? slash + 1 : path;
	char *ppath = xstrndup(path, slash ? (size_t)(slash - path) : 0);
	struct pathmap_slot *ps = pathmap_get(&w->map, ppath);
	int r = 0;
	if (!ps) {
		if (!make_parents) {
			r = log_error_errno(ENOENT, "ext4: \"%s\": parent directory /%s does not exist",
					    w->what ? w->what : path, ppath);
			goto out;
		}
		struct entry_meta dm;
		r = ext4w_mkdir(w, ppath, implicit_dir_meta(w, &dm), true, parent);
		if (r < 0)
			goto out;
	} else if (!LINUX_S_ISDIR(ps->mode)) {
		r = log_error_errno(ENOTDIR, "ext4: \"%s\": /%s is not a directory",
				    w->what ? w->what : path, ppath);
		goto out;
	} else
		*parent = ps->ino;

	struct pathmap_slot *old = pathmap_get(&w->map, path);
	if (old) {
		if (LINUX_S_ISDIR(old->mode)) {
			if (want_dir)
				*existing = old->ino;
			else
				r = log_error_errno(EISDIR, "ext4: \"%s\" would replace a directory",
						    w->what ? w->what : path);
			goto out;
		}
		errcode_t e = ext4w_dir_forget(w, *parent);
		if (!e)
			e = ext2fs_unlink(w->fs, *parent, *name, old->ino, 0);
		if (e) {
			r = fail(w, e, path, "replacing");
			goto out;
		}
		r = drop_link(w, old->ino, path);
	}
out:
	free(ppath);
	return r;
}

int ext4w_mkdir(struct ext4w *w, const char *path, const struct entry_meta *m,
		bool make_parents, ext2_ino_t *ino_out)
{
	ext2_ino_t parent = 0, ino;
	const char *name = NULL;
	int r = prepare(w, path, make_parents, true, &parent, &name, &ino);
	if (r < 0)
		return r;
	if (!ino) {
		errcode_t e = ext2fs_new_inode(w->fs, parent, LINUX_S_IFDIR | 0755, NULL, &ino);
		if (!e)
			e = ext2fs_mkdir(w->fs, parent, ino, NULL);
		if (e)
			return fail(w, e, path, "creating directory");
		if ((r = link_into(w, parent, name, ino, LINUX_S_IFDIR, path)) < 0)
			return r;
		pathmap_put(&w->map, path, ino, (uint16_t)(LINUX_S_IFDIR | (m->mode & 07777)));
		w->content_blocks++;
	} else
		pathmap_put(&w->map, path, ino, (uint16_t)(LINUX_S_IFDIR | (m->mode & 07777)));
	if ((r = set_meta(w, ino, path, m)) < 0)
		return r;
	if (ino_out)
		*ino_out = ino;
	return 0;
}

/* Allocate an inode of the given type, write it, link it in. */
static int new_inode(struct ext4w *w, const char *path, const struct entry_meta *m,
		     bool make_parents, struct ext2_inode_large *in, ext2_ino_t *ino_out,
		     ext2_ino_t *parent_out)
{
	ext2_ino_t parent = 0, ino;
	const char *name = NULL;
	int r = prepare(w, path, make_parents, false, &parent, &name, &ino);
	if (r < 0)
		return r;
	errcode_t e = ext2fs_new_inode(w->fs, parent, m->mode, NULL, &ino);
	if (e)
		return fail(w, e, path, "allocating an inode for");
	ext2fs_inode_alloc_stats2(w->fs, ino, +1, 0);
	in->i_mode = m->mode;
	in->i_links_count = 1;
	apply_meta(w, in, m);
	if ((e = write_fresh(w, ino, in)))
		return fail(w, e, path, "writing inode of");
	if ((r = link_into(w, parent, name, ino, m->mode, path)) < 0)
		return r;
	pathmap_put(&w->map, path, ino, m->mode);
	*ino_out = ino;
	if (parent_out)
		*parent_out = parent;
	return 0;
}

static bool all_zero(const char *p, size_t n)
{
	return n && p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

/* File data goes through a block-aligned staging buffer: whole blocks of
 * zeros are left as holes (as mke2fs -d does), the rest is written in runs. */
struct stage {
	ext2_file_t f;
	unsigned bs;
	uint64_t start;               /* file offset of buf[0], block aligned */
	size_t len;                   /* bytes staged */
};

static errcode_t stage_flush(struct ext4w *w, struct stage *st)
{
	size_t nblk = (st->len + st->bs - 1) / st->bs;
	errcode_t e = 0;
	for (size_t i = 0; i < nblk && !e;) {
		size_t blen = st->len - i * st->bs < st->bs ? st->len - i * st->bs : st->bs;
		if (blen == st->bs && all_zero(w->iobuf + i * st->bs, blen)) {
			i++;
			continue;
		}
		size_t j = i + 1;
		while (j < nblk && (st->len - j * st->bs < st->bs ||
				    !all_zero(w->iobuf + j * st->bs, st->bs)))
			j++;
		size_t from = i * st->bs, to = j * st->bs < st->len ? j * st->bs : st->len;
		unsigned done = 0;
		if (!(e = ext2fs_file_llseek(st->f, st->start + from, EXT2_SEEK_SET, NULL)))
			e = ext2fs_file_write(st->f, w->iobuf + from, (unsigned)(to - from), &done);
		if (!e && done != to - from)
			e = EXT2_ET_SHORT_WRITE;
		i = j;
	}
	st->len = 0;
	return e;
}

static errcode_t stage_add(struct ext4w *w, struct stage *st, uint64_t off, const char *p, size_t n)
{
	errcode_t e;
	while (n) {
		uint64_t end = st->start + st->len;
		if (st->len && (off < end || off >= st->start + w->iobuf_len)) {
			if ((e = stage_flush(w, st)))     /* out of order, or past the buffer */
				return e;
			continue;
		}
		if (!st->len) {
			st->start = off - off % st->bs;
			end = st->start;
		}
		memset(w->iobuf + st->len, 0, off - end);      /* a hole inside the buffer */
		st->len = off - st->start;
		size_t c = w->iobuf_len - st->len < n ? w->iobuf_len - st->len : n;
		memcpy(w->iobuf + st->len, p, c);
		st->len += c;
		off += c;
		p += c;
		n -= c;
		if (st->len == w->iobuf_len && (e = stage_flush(w, st)))
			return e;
	}
	return 0;
}

static int write_data(struct ext4w *w, ext2_file_t f, const char *path, uint64_t size,
		      data_next_fn next, void *ctx)
{
	struct stage st = { .f = f, .bs = w->fs->blocksize };
	if (!w->iobuf) {
		w->iobuf_len = 1 << 20;
		w->iobuf = xmalloc(w->iobuf_len);
	}
	errcode_t e = 0;
	for (;;) {
		const void *buf;
		size_t len;
		int64_t off;
		int r = next(ctx, &buf, &len, &off);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		if (off < 0 || (uint64_t)off + len > size)
			return log_error_errno(EINVAL, "ext4: \"%s\": data beyond the entry's size",
					       w->what ? w->what : path);
		if ((e = stage_add(w, &st, (uint64_t)off, buf, len)))
			break;
	}
	if (!e)
		e = stage_flush(w, &st);
	if (!e)
		e = ext2fs_file_set_size2(f, size);
	return e ? fail(w, e, path, "writing") : 0;
}

int ext4w_write_file(struct ext4w *w, const char *path, const struct entry_meta *m,
		     bool make_parents, uint64_t size, data_next_fn next, void *ctx,
		     ext2_ino_t *ino_out)
{
	struct ext2_inode_large in;
	memset(&in, 0, sizeof(in));
	/* an empty extent tree in i_block; extent_open2 sets EXTENTS_FL */
	ext2_extent_handle_t h;
	errcode_t e = ext2fs_extent_open2(w->fs, 0, (struct ext2_inode *)&in, &h);
	if (e)
		return fail(w, e, path, "creating");
	ext2fs_extent_free(h);
	ext2_ino_t ino;
	int r = new_inode(w, path, m, make_parents, &in, &ino, NULL);
	if (r < 0)
		return r;
	ext2_file_t f;
	if ((e = ext2fs_file_open2(w->fs, ino, (struct ext2_inode *)&in, EXT2_FILE_WRITE, &f)))
		return fail(w, e, path, "opening");
	r = write_data(w, f, path, size, next, ctx);
	e = ext2fs_file_close(f);
	if (r < 0)
		return r;
	if (e)
		return fail(w, e, path, "writing");
	w->content_blocks += (size + w->fs->blocksize - 1) / w->fs->blocksize;
	if (ino_out)
		*ino_out = ino;
	return 0;
}

int ext4w_symlink(struct ext4w *w, const char *path, const struct entry_meta *m,
		  bool make_parents, const char *target, ext2_ino_t *ino_out)
{
	ext2_ino_t parent = 0, ino;
	const char *name = NULL;
	if (!*target || strlen(target) >= w->fs->blocksize)
		return log_error_errno(EINVAL, "ext4: symlink \"%s\": target empty or longer than a block",
				       w->what ? w->what : path);
	int r = prepare(w, path, make_parents, false, &parent, &name, &ino);
	if (r < 0)
		return r;
	errcode_t e = ext2fs_new_inode(w->fs, parent, LINUX_S_IFLNK | 0777, NULL, &ino);
	if (!e)
		e = ext2fs_symlink(w->fs, parent, ino, NULL, target);
	if (e)
		return fail(w, e, path, "creating symlink");
	if ((r = link_into(w, parent, name, ino, LINUX_S_IFLNK, path)) < 0)
		return r;
	pathmap_put(&w->map, path, ino, LINUX_S_IFLNK | 0777);
	pathmap_set_link(&w->map, path, target);
	if ((r = set_meta(w, ino, path, m)) < 0)
		return r;
	if (strlen(target) >= sizeof(((struct ext2_inode *)0)->i_block))
		w->content_blocks++;
	if (ino_out)
		*ino_out = ino;
	return 0;
}

int ext4w_mknod(struct ext4w *w, const char *path, const struct entry_meta *m,
		bool make_parents, ext2_ino_t *ino_out)
{
	struct ext2_inode_large in;
	memset(&in, 0, sizeof(in));
	if (LINUX_S_ISCHR(m->mode) || LINUX_S_ISBLK(m->mode)) {
		uint32_t ma = m->rdev_major, mi = m->rdev_minor;
		if (ma < 256 && mi < 256)        /* old 8:8 encoding, as the kernel writes it */
			in.i_block[0] = ma * 256 + mi;
		else                             /* new 12:20 encoding */
			in.i_block[1] = (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
	}
	return new_inode(w, path, m, make_parents, &in, ino_out ? ino_out : &(ext2_ino_t){ 0 }, NULL);
}

int ext4w_hardlink(struct ext4w *w, const char *path, const char *target, bool make_parents)
{
	struct pathmap_slot *t = pathmap_get(&w->map, target);
	if (!t)
		return log_error_errno(ENOENT, "ext4: hard link \"%s\": target \"%s\" is not in the archive "
				       "before it", w->what ? w->what : path, target);
	if (LINUX_S_ISDIR(t->mode))
		return log_error_errno(EPERM, "ext4: hard link \"%s\": target \"%s\" is a directory",
				       w->what ? w->what : path, target);
	ext2_ino_t ino = t->ino;
	uint16_t mode = t->mode;
	char *link = t->link ? xstrdup(t->link) : NULL;     /* t moves when the map grows */
	struct pathmap_slot *old = pathmap_get(&w->map, path);
	if (old && old->ino == ino) {
		free(link);
		return 0;                         /* already that inode */
	}
	ext2_ino_t parent = 0, existing;
	const char *name = NULL;
	int r = prepare(w, path, make_parents, false, &parent, &name, &existing);
	if (r >= 0)
		r = link_into(w, parent, name, ino, mode, path);
	if (r < 0) {
		free(link);
		return r;
	}
	struct ext2_inode_large in;
	errcode_t e = read_large(w, ino, &in);
	if (!e && in.i_links_count >= EXT2_LINK_MAX) {
		free(link);
		return log_error_errno(EMLINK, "ext4: hard link \"%s\": too many links",
				       w->what ? w->what : path);
	}
	if (!e) {
		in.i_links_count++;
		e = write_large(w, ino, &in);
	}
	if (!e) {
		pathmap_put(&w->map, path, ino, mode);
		pathmap_set_link(&w->map, path, link);
	}
	free(link);
	return e ? fail(w, e, path, "hard linking") : 0;
}

int ext4w_set_xattrs(struct ext4w *w, ext2_ino_t ino, const struct xattr_item *x, size_t n)
{
	if (!n)
		return 0;
	struct ext2_xattr_handle *h;
	errcode_t e = ext2fs_xattrs_open(w->fs, ino, &h);
	if (e)
		return log_error_errno(ext4w_errno(w, e), "ext4: \"%s\": extended attributes: %s",
				       w->what, ext4w_strerror(e));
	const char *failed = NULL;
	if (!(e = ext2fs_xattrs_read(h)))
		for (size_t i = 0; i < n && !e; i++)
			if ((e = ext2fs_xattr_set(h, x[i].name, x[i].value, x[i].len)))
				failed = x[i].name;
	errcode_t e2 = ext2fs_xattrs_close(&h);
	if (!e)
		e = e2;
	int r = ext4w_errno(w, e);
	if (r < 0 && !(r == -ENOSPC && w->nospace))
		log_error_errno(r, "ext4: \"%s\": extended attribute %s: %s", w->what,
				failed ? failed : "", ext4w_strerror(e));
	return r;
}
