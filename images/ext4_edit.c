/* Reading and writing one file of an existing ext4 in place (ext4_edit.h). */
#include "images/ext4_edit.h"
#include "images/ext4_internal.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fs_errno(errcode_t e)
{
	struct ext4w w = { 0 };
	return ext4w_errno(&w, e);
}

static int open_fs(const char *dev, uint64_t offset, bool rw, ext2_filsys *fs)
{
	char opt[64];
	snprintf(opt, sizeof opt, "offset=%" PRIu64, offset);
	errcode_t e = ext2fs_open2(dev, opt, (rw ? EXT2_FLAG_RW : 0) | EXT2_FLAG_64BITS, 0, 0,
				   unix_io_manager, fs);
	if (e)
		return log_error_errno(e == EXT2_ET_BAD_MAGIC ? EMEDIUMTYPE : fs_errno(e),
				       "%s: no ext4 filesystem at byte %" PRIu64 " (%s)", dev, offset,
				       ext4w_strerror(e));
	return 0;
}

/* "/etc/kiln/seed" -> the inode of "/etc/kiln" and "seed". */
static int parent_of(ext2_filsys fs, const char *path, ext2_ino_t *dir, const char **name)
{
	const char *slash = strrchr(path, '/');
	if (path[0] != '/' || !slash || !slash[1])
		return -EINVAL;
	*name = slash + 1;
	if (slash == path) {
		*dir = EXT2_ROOT_INO;
		return 0;
	}
	char *d = xstrndup(path, (size_t)(slash - path));
	errcode_t e = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, d, dir);
	free(d);
	return e == EXT2_ET_FILE_NOT_FOUND ? -ENOENT : e ? fs_errno(e) : 0;
}

static int lookup(ext2_filsys fs, const char *path, ext2_ino_t *dir, ext2_ino_t *ino)
{
	const char *name;
	int r = parent_of(fs, path, dir, &name);
	if (r < 0)
		return r;
	errcode_t e = ext2fs_lookup(fs, *dir, name, (int)strlen(name), NULL, ino);
	return e == EXT2_ET_FILE_NOT_FOUND ? -ENOENT : e ? fs_errno(e) : 0;
}

int ext4_read_file_at(const char *dev, uint64_t offset, const char *path, size_t max,
		      char **out, size_t *len)
{
	ext2_filsys fs;
	int r = open_fs(dev, offset, false, &fs);
	if (r < 0)
		return r;
	ext2_ino_t dir, ino;
	struct ext2_inode in;
	ext2_file_t f = NULL;
	char *b = NULL;
	errcode_t e = 0;
	if ((r = lookup(fs, path, &dir, &ino)) < 0)
		goto out;
	if ((e = ext2fs_read_inode(fs, ino, &in))) {
		r = fs_errno(e);
		goto out;
	}
	if (!LINUX_S_ISREG(in.i_mode)) {
		r = -EINVAL;
		goto out;
	}
	uint64_t size = EXT2_I_SIZE(&in);
	if (size > max) {
		r = -EFBIG;
		goto out;
	}
	b = xmalloc(size + 1);
	unsigned got = 0;
	if ((e = ext2fs_file_open(fs, ino, 0, &f)) || (e = ext2fs_file_read(f, b, (unsigned)size, &got))) {
		r = fs_errno(e);
		goto out;
	}
	if (got != size) {
		r = -EIO;
		goto out;
	}
	b[size] = '\0';
	*out = b;
	b = NULL;
	if (len)
		*len = size;
out:
	if (f)
		ext2fs_file_close(f);
	ext2fs_close_free(&fs);
	free(b);
	if (r < 0 && r != -ENOENT)
		log_error_errno(r, "%s: reading %s from the ext4 at byte %" PRIu64 "%s%s", dev, path, offset,
				e ? ": " : "", e ? ext4w_strerror(e) : "");
	return r;
}

static void set_times(struct ext2_inode_large *in, int64_t t)
{
	__u32 extra = (__u32)(((t - (int32_t)t) >> 32) & 3);
	in->i_atime = in->i_mtime = in->i_ctime = in->i_crtime = (__u32)t;
	in->i_atime_extra = in->i_mtime_extra = in->i_ctime_extra = in->i_crtime_extra = extra;
}

/* A new, empty, extent-mapped regular file linked as dir/name. */
static errcode_t create(ext2_filsys fs, ext2_ino_t dir, const char *name, ext2_ino_t *ino)
{
	errcode_t e = ext2fs_new_inode(fs, dir, LINUX_S_IFREG | 0600, NULL, ino);
	if (e)
		return e;
	e = ext2fs_link(fs, dir, name, *ino, EXT2_FT_REG_FILE);
	if (e == EXT2_ET_DIR_NO_SPACE) {
		if ((e = ext2fs_expand_dir(fs, dir)))
			return e;
		e = ext2fs_link(fs, dir, name, *ino, EXT2_FT_REG_FILE);
	}
	if (e)
		return e;
	struct ext2_inode_large in;
	memset(&in, 0, sizeof in);
	in.i_mode = LINUX_S_IFREG | 0600;
	in.i_links_count = 1;
	in.i_extra_isize = sizeof(struct ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
	ext2_extent_handle_t h;
	if ((e = ext2fs_extent_open2(fs, *ino, (struct ext2_inode *)&in, &h)))
		return e;
	ext2fs_extent_free(h);
	if ((e = ext2fs_write_new_inode(fs, *ino, (struct ext2_inode *)&in)))
		return e;
	ext2fs_inode_alloc_stats2(fs, *ino, +1, 0);
	return 0;
}

static errcode_t write_content(ext2_filsys fs, ext2_ino_t ino, const void *data, size_t len)
{
	ext2_file_t f;
	unsigned got = 0;
	errcode_t e = ext2fs_file_open(fs, ino, EXT2_FILE_WRITE, &f);
	if (e)
		return e;
	e = ext2fs_file_set_size2(f, 0);   /* a replaced file loses its old blocks */
	if (!e && len)
		e = ext2fs_file_write(f, data, (unsigned)len, &got);
	if (!e && got != len)
		e = EXT2_ET_SHORT_WRITE;
	errcode_t c = ext2fs_file_close(f);
	return e ? e : c;
}

static errcode_t set_meta(ext2_filsys fs, ext2_ino_t ino, mode_t mode, uid_t uid, gid_t gid, int64_t t)
{
	struct ext2_inode_large in;
	memset(&in, 0, sizeof in);
	errcode_t e = ext2fs_read_inode_full(fs, ino, (struct ext2_inode *)&in, sizeof in);
	if (e)
		return e;
	in.i_mode = (__u16)(LINUX_S_IFREG | (mode & 07777));
	in.i_uid = (__u16)uid;
	ext2fs_set_i_uid_high(in, uid >> 16);
	in.i_gid = (__u16)gid;
	ext2fs_set_i_gid_high(in, gid >> 16);
	set_times(&in, t);
	return ext2fs_write_inode_full(fs, ino, (struct ext2_inode *)&in, sizeof in);
}

int ext4_put_file_at(const char *dev, uint64_t offset, const char *path, const void *data,
		     size_t len, mode_t mode, uid_t uid, gid_t gid, int64_t mtime)
{
	if (len > UINT32_MAX)
		return log_error_errno(EFBIG, "%s: %s is too large", dev, path);
	ext2_filsys fs;
	int r = open_fs(dev, offset, true, &fs);
	if (r < 0)
		return r;
	const char *step = "reading the bitmaps of";
	errcode_t e = 0;
	ext2_ino_t dir, ino;
	if (ext2fs_has_feature_journal_needs_recovery(fs->super)) {
		r = log_error_errno(EUCLEAN, "%s: the ext4 at byte %" PRIu64 " has a journal that needs "
				    "recovery: not writing %s", dev, offset, path);
		goto out;
	}
	if ((e = ext2fs_read_bitmaps(fs)))
		goto fail;
	r = lookup(fs, path, &dir, &ino);
	if (r == -ENOENT) {
		const char *name;
		step = "finding the directory of";
		if ((r = parent_of(fs, path, &dir, &name)) < 0) {
			r = log_error_errno(r, "%s: the ext4 at byte %" PRIu64 " has no directory for %s", dev,
					    offset, path);
			goto out;
		}
		step = "creating";
		if ((e = create(fs, dir, name, &ino)))
			goto fail;
	} else if (r < 0) {
		r = log_error_errno(r, "%s: looking up %s in the ext4 at byte %" PRIu64, dev, path, offset);
		goto out;
	} else {
		struct ext2_inode in;
		step = "replacing";
		if ((e = ext2fs_read_inode(fs, ino, &in)))
			goto fail;
		if (!LINUX_S_ISREG(in.i_mode) || in.i_links_count != 1) {
			r = log_error_errno(EEXIST, "%s: %s exists in the ext4 at byte %" PRIu64 " and is not a "
					    "plain file", dev, path, offset);
			goto out;
		}
	}
	step = "writing";
	if ((e = write_content(fs, ino, data, len)) || (e = set_meta(fs, ino, mode, uid, gid, mtime)))
		goto fail;
	step = "closing";
	e = ext2fs_close_free(&fs);
	if (e)
		goto fail;
	return 0;
fail:
	r = log_error_errno(fs_errno(e), "%s: %s %s in the ext4 at byte %" PRIu64 ": %s", dev, step, path,
			    offset, ext4w_strerror(e));
out:
	if (fs)
		ext2fs_close_free(&fs);
	return r;
}
