/* Creating the empty ext4 filesystem inside a region of the image file, the
 * way Debian's mke2fs does for "-t ext4" (features from its mke2fs.conf),
 * with every value libext2fs would otherwise randomise or take from the
 * clock set from the caller's parameters, so the result is reproducible. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "images/ext4_internal.h"
#include "lib/log.h"

const char *ext4w_strerror(errcode_t e)
{
	switch (e) {
	case EXT2_ET_BLOCK_ALLOC_FAIL: return "no free blocks";
	case EXT2_ET_INODE_ALLOC_FAIL: return "no free inodes";
	case EXT2_ET_DIR_NO_SPACE: return "no space in directory";
	case EXT2_ET_TOOSMALL: return "not enough space to build the filesystem";
	case EXT2_ET_DIR_CORRUPTED: return "directory corrupted";
	case EXT2_ET_EA_NO_SPACE: return "no space for extended attributes";
	case EXT2_ET_EA_KEY_NOT_FOUND: return "unsupported extended attribute";
	case EXT2_ET_INVALID_ARGUMENT: return "invalid argument";
	case EXT2_ET_SHORT_WRITE: return "short write";
	case EXT2_ET_SHORT_READ: return "short read";
	default:
		if (e > 0 && e < 4096)
			return strerror((int)e);
		return "libext2fs error";
	}
}

int ext4w_errno(struct ext4w *w, errcode_t e)
{
	switch (e) {
	case 0:
		return 0;
	case EXT2_ET_BLOCK_ALLOC_FAIL:
	case EXT2_ET_INODE_ALLOC_FAIL:
	case EXT2_ET_DIR_NO_SPACE:
	case EXT2_ET_TOOSMALL:
	case EXT2_ET_EA_NO_SPACE:
	case ENOSPC:
		if (e != EXT2_ET_EA_NO_SPACE)
			w->nospace = true;
		return -ENOSPC;
	case EXT2_ET_NO_MEMORY:
		return -ENOMEM;
	case EXT2_ET_INVALID_ARGUMENT:
		return -EINVAL;
	default:
		if (e > 0 && e < 4096)
			return -(int)e;
		return -EIO;
	}
}

/* Punch the region out so it reads back as zeros and stays sparse: then the
 * inode tables and journal need no writing (mke2fs' lazy_itable_init and
 * lazy_journal_init, with the kernel told the tables are already zeroed),
 * and no stale bytes of an earlier image survive in free blocks. Where
 * punching is not supported, zeros are written. */
static int zero_region(const char *path, uint64_t offset, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < offset + size)
		r = -EFBIG;
	else if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			   (off_t)offset, (off_t)size) < 0) {
		static const char zeros[1 << 16];
		for (uint64_t done = 0; done < size && !r;) {
			size_t n = size - done < sizeof(zeros) ? (size_t)(size - done) : sizeof(zeros);
			ssize_t w = pwrite(fd, zeros, n, (off_t)(offset + done));
			if (w <= 0)
				r = w < 0 ? -errno : -EIO;
			else
				done += (uint64_t)w;
		}
	}
	close(fd);
	return r;
}

/* Reserved inodes must carry valid checksums even though they are unused. */
static errcode_t write_reserved_inodes(ext2_filsys fs)
{
	char buf[EXT2_MAX_BLOCK_SIZE] = { 0 };
	for (ext2_ino_t ino = 1; ino < EXT2_FIRST_INO(fs->super); ino++) {
		errcode_t e = ext2fs_write_inode_full(fs, ino, (struct ext2_inode *)buf,
						      EXT2_INODE_SIZE(fs->super));
		if (e)
			return e;
	}
	return 0;
}

static errcode_t make_lost_found(ext2_filsys fs)
{
	ext2_ino_t ino;
	errcode_t e;
	fs->umask = 077;
	e = ext2fs_mkdir(fs, EXT2_ROOT_INO, 0, "lost+found");
	fs->umask = 022;
	if (e)
		return e;
	e = ext2fs_lookup(fs, EXT2_ROOT_INO, "lost+found", 10, NULL, &ino);
	if (e)
		return e;
	/* e2fsck wants it pre-grown (16 KiB, at least 2 blocks) */
	for (unsigned sz = fs->blocksize; sz < 16384 || sz < 2 * fs->blocksize; sz += fs->blocksize)
		if ((e = ext2fs_expand_dir(fs, ino)))
			return e;
	return 0;
}

static errcode_t make_journal(ext2_filsys fs)
{
	struct ext2fs_journal_params jp;
	if (ext2fs_get_journal_params(&jp, fs) || jp.num_journal_blocks == 0) {
		/* too small for a journal: mke2fs drops the feature too */
		ext2fs_clear_feature_journal(fs->super);
		return 0;
	}
	return ext2fs_add_journal_inode3(fs, &jp, ~0ULL,
					 EXT2_MKJOURNAL_LAZYINIT | EXT2_MKJOURNAL_NO_MNT_CHECK);
}

static int fail(struct ext4w *w, errcode_t e, const char *step)
{
	return log_error_errno(ext4w_errno(w, e), "ext4: %s: %s", step, ext4w_strerror(e));
}

int ext4w_mkfs(struct ext4w *w, const char *image_path, uint64_t offset, uint64_t size,
	       const struct ext4_params *p)
{
	uint32_t bs = p->block_size ? p->block_size : 4096;
	uint32_t ratio = p->inode_ratio ? p->inode_ratio : 16384;
	if (bs != 1024 && bs != 2048 && bs != 4096)
		return log_error_errno(EINVAL, "ext4: block size %" PRIu32 " not supported", bs);
	if (ratio < bs)
		return log_error_errno(EINVAL, "ext4: inode ratio %" PRIu32 " below the block size", ratio);
	if (offset % 512)
		return log_error_errno(EINVAL, "ext4: offset %" PRIu64 " not sector aligned", offset);
	uint64_t blocks = size / bs;
	if (blocks < 2048)
		return log_error_errno(ENOSPC, "ext4: filesystem of %" PRIu64 " KiB too small: "
				       "needs at least %" PRIu64 " MiB", size >> 10,
				       (uint64_t)2048 * bs >> 20);

	int r = zero_region(image_path, offset, size);
	if (r == -EFBIG)
		return log_error_errno(EINVAL, "ext4: %s is smaller than offset+size (%" PRIu64 " bytes)",
				       image_path, offset + size);
	if (r < 0)
		return log_error_errno(r, "ext4: cannot clear the region of %s", image_path);

	struct ext2_super_block sp;
	memset(&sp, 0, sizeof(sp));
	ext2fs_blocks_count_set(&sp, blocks);
	ext2fs_r_blocks_count_set(&sp, blocks * 5 / 100);          /* mke2fs -m 5 */
	sp.s_log_block_size = (uint32_t)(__builtin_ctz(bs) - 10);
	sp.s_rev_level = EXT2_DYNAMIC_REV;
	sp.s_inode_size = 256;
	uint64_t inodes = size / ratio;
	sp.s_inodes_count = inodes > 0xfff00000ULL ? 0xfff00000U : (uint32_t)inodes;
	sp.s_log_groups_per_flex = 4;
	sp.s_desc_size = EXT2_MIN_DESC_SIZE_64BIT;
	sp.s_min_extra_isize = sp.s_want_extra_isize =
		sizeof(struct ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
	sp.s_feature_compat = EXT3_FEATURE_COMPAT_HAS_JOURNAL | EXT2_FEATURE_COMPAT_EXT_ATTR |
		EXT2_FEATURE_COMPAT_RESIZE_INODE | EXT2_FEATURE_COMPAT_DIR_INDEX;
	sp.s_feature_incompat = EXT2_FEATURE_INCOMPAT_FILETYPE | EXT3_FEATURE_INCOMPAT_EXTENTS |
		EXT4_FEATURE_INCOMPAT_64BIT | EXT4_FEATURE_INCOMPAT_FLEX_BG;
	sp.s_feature_ro_compat = EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER |
		EXT2_FEATURE_RO_COMPAT_LARGE_FILE | EXT4_FEATURE_RO_COMPAT_HUGE_FILE |
		EXT4_FEATURE_RO_COMPAT_DIR_NLINK | EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE |
		EXT4_FEATURE_RO_COMPAT_METADATA_CSUM;
	sp.s_default_mount_opts = EXT2_DEFM_XATTR_USER | EXT2_DEFM_ACL;

	ext2_filsys fs;
	errcode_t e = ext2fs_initialize(image_path, EXT2_FLAG_64BITS, &sp, unix_io_manager, &fs);
	if (e == EXT2_ET_TOOSMALL)
		return log_error_errno(ENOSPC, "ext4: filesystem of %" PRIu64 " MiB too small: "
				       "needs at least %" PRIu64 " MiB", size >> 20, (size >> 20) * 2);
	if (e)
		return log_error_errno(ext4w_errno(w, e), "ext4: cannot create filesystem in %s: %s",
				       image_path, ext4w_strerror(e));
	w->fs = fs;
	char opt[64];
	snprintf(opt, sizeof(opt), "offset=%" PRIu64, offset);
	if ((e = io_channel_set_options(fs->io, opt)))
		return fail(w, e, "setting the image offset");

	/* Nothing below may come from the clock or a random source. */
	fs->now = (time_t)w->now;
	fs->umask = 022;
	struct ext2_super_block *s = fs->super;
	s->s_mkfs_time = s->s_lastcheck = s->s_wtime = (uint32_t)w->now;
	memcpy(s->s_uuid, p->uuid, sizeof(s->s_uuid));
	memcpy(s->s_hash_seed, p->hash_seed, sizeof(s->s_hash_seed));
	s->s_def_hash_version = EXT2_HASH_HALF_MD4;
	s->s_flags |= EXT2_FLAGS_SIGNED_HASH;            /* what mke2fs on amd64 sets */
	s->s_max_mnt_count = (__u16)-1;
	s->s_checkinterval = 0;
	s->s_checksum_type = EXT2_CRC32C_CHKSUM;
	s->s_kbytes_written = 1;
	if (p->label)
		strncpy((char *)s->s_volume_name, p->label, sizeof(s->s_volume_name));
	ext2fs_init_csum_seed(fs);

	if ((e = ext2fs_allocate_tables(fs)))
		return fail(w, e, "allocating group tables");
	if ((e = ext2fs_convert_subcluster_bitmap(fs, &fs->block_map)))
		return fail(w, e, "block bitmap");
	/* The tables read back as zeros: spare the kernel its lazy init. */
	for (dgrp_t g = 0; g < fs->group_desc_count; g++) {
		ext2fs_bg_flags_set(fs, g, EXT2_BG_INODE_ZEROED);
		ext2fs_group_desc_csum_set(fs, g);
	}
	if ((e = write_reserved_inodes(fs)))
		return fail(w, e, "writing reserved inodes");
	if ((e = ext2fs_mkdir(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, NULL)))
		return fail(w, e, "creating the root directory");
	if ((e = make_lost_found(fs)))
		return fail(w, e, "creating lost+found");
	for (ext2_ino_t i = EXT2_ROOT_INO + 1; i < EXT2_FIRST_INODE(fs->super); i++)
		ext2fs_inode_alloc_stats2(fs, i, +1, 0);
	ext2fs_mark_ib_dirty(fs);
	ext2fs_mark_inode_bitmap2(fs->inode_map, EXT2_BAD_INO);
	ext2fs_inode_alloc_stats2(fs, EXT2_BAD_INO, +1, 0);
	if ((e = ext2fs_update_bb_inode(fs, NULL)))
		return fail(w, e, "bad block inode");
	if ((e = ext2fs_create_resize_inode(fs)))
		return fail(w, e, "reserving blocks for online resize");
	if ((e = make_journal(fs)))
		return fail(w, e, "creating the journal");
	w->content_blocks = ext2fs_blocks_count(s) - ext2fs_free_blocks_count(s);
	return 0;
}

int ext4w_finish(struct ext4w *w)
{
	errcode_t e = ext4w_dirs_flush(w);
	if (e)
		return log_error_errno(ext4w_errno(w, e), "ext4: writing directories: %s",
				       ext4w_strerror(e));
	ext2_filsys fs = w->fs;
	w->fs = NULL;
	e = ext2fs_close_free(&fs);
	if (e)
		return log_error_errno(ext4w_errno(w, e), "ext4: writing filesystem metadata: %s",
				       ext4w_strerror(e));
	return 0;
}
