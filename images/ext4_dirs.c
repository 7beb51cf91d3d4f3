/* Appending directory entries without libext2fs' ext2fs_link(), which scans
 * (and checksums) every block of the directory for free space on each call:
 * quadratic for /usr/share/doc-sized directories. The writer only ever adds
 * entries, so the free space is at the end of the last block: keep that
 * block in memory per directory and append there, adding a block with
 * ext2fs_expand_dir() when it is full. The cached block is written back
 * (checksummed once) when the directory moves on to a new block, before
 * libext2fs itself changes the directory, and at the end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "images/ext4_internal.h"
#include "lib/xalloc.h"

struct dirtail {
	ext2_ino_t dir;               /* 0 = empty slot */
	blk64_t pblk;                 /* physical block of the last block */
	unsigned last;                /* offset of the last entry in it */
	char *buf;
	bool dirty;
};

static unsigned usable(ext2_filsys fs)
{
	return fs->blocksize - (ext2fs_has_feature_metadata_csum(fs->super) ?
				(unsigned)sizeof(struct ext2_dir_entry_tail) : 0);
}

static struct dirtail *slot(struct ext4w *w, ext2_ino_t dir, bool create)
{
	if (create && (w->ndirtails + 1) * 2 > w->dirtail_cap) {
		size_t ncap = w->dirtail_cap ? w->dirtail_cap * 2 : 256;
		struct dirtail *n = xcalloc(ncap, sizeof(*n));
		for (size_t i = 0; i < w->dirtail_cap; i++)
			if (w->dirtails[i].dir) {
				size_t j = w->dirtails[i].dir * 2654435761u % ncap;
				while (n[j].dir)
					j = (j + 1) % ncap;
				n[j] = w->dirtails[i];
			}
		free(w->dirtails);
		w->dirtails = n;
		w->dirtail_cap = ncap;
	}
	if (!w->dirtail_cap)
		return NULL;
	size_t j = dir * 2654435761u % w->dirtail_cap;
	while (w->dirtails[j].dir && w->dirtails[j].dir != dir)
		j = (j + 1) % w->dirtail_cap;
	if (w->dirtails[j].dir == dir)
		return &w->dirtails[j];
	if (!create)
		return NULL;
	w->ndirtails++;
	w->dirtails[j].dir = dir;
	w->dirtails[j].buf = NULL;
	return &w->dirtails[j];
}

/* (Re)load the last block of dir into t. */
static errcode_t load_tail(struct ext4w *w, struct dirtail *t)
{
	ext2_filsys fs = w->fs;
	struct ext2_inode in;
	errcode_t e = ext2fs_read_inode(fs, t->dir, &in);
	if (e)
		return e;
	uint64_t size = EXT2_I_SIZE(&in);
	if (size < fs->blocksize || size % fs->blocksize)
		return EXT2_ET_DIR_CORRUPTED;
	if ((e = ext2fs_bmap2(fs, t->dir, &in, NULL, 0, size / fs->blocksize - 1, NULL, &t->pblk)))
		return e;
	if (!t->buf)
		t->buf = xmalloc(fs->blocksize);
	if ((e = ext2fs_read_dir_block4(fs, t->pblk, t->buf, 0, t->dir)))
		return e;
	unsigned off = 0, end = usable(fs);
	for (;;) {
		unsigned rl;
		if ((e = ext2fs_get_rec_len(fs, (struct ext2_dir_entry *)(t->buf + off), &rl)))
			return e;
		if (rl < 8 || off + rl > end)
			return EXT2_ET_DIR_CORRUPTED;
		if (off + rl == end)
			break;
		off += rl;
	}
	t->last = off;
	return 0;
}

static errcode_t flush(struct ext4w *w, struct dirtail *t)
{
	if (!t->buf || !t->dirty)
		return 0;
	t->dirty = false;
	return ext2fs_write_dir_block4(w->fs, t->pblk, t->buf, 0, t->dir);
}

errcode_t ext4w_dir_forget(struct ext4w *w, ext2_ino_t dir)
{
	struct dirtail *t = slot(w, dir, false);
	errcode_t e = 0;
	if (t && t->buf) {
		e = flush(w, t);
		free(t->buf);
		t->buf = NULL;               /* reloaded from disk on next use */
	}
	return e;
}

errcode_t ext4w_dirs_flush(struct ext4w *w)
{
	for (size_t i = 0; i < w->dirtail_cap; i++) {
		errcode_t e = flush(w, &w->dirtails[i]);
		if (e)
			return e;
	}
	return 0;
}

void ext4w_dirs_free(struct ext4w *w)
{
	for (size_t i = 0; i < w->dirtail_cap; i++)
		free(w->dirtails[i].buf);
	free(w->dirtails);
	w->dirtails = NULL;
	w->dirtail_cap = w->ndirtails = 0;
}

errcode_t ext4w_dir_add(struct ext4w *w, ext2_ino_t dir, const char *name, ext2_ino_t ino, int ftype)
{
	ext2_filsys fs = w->fs;
	size_t nlen = strlen(name);
	if (!nlen || nlen > EXT2_NAME_LEN)
		return EXT2_ET_INVALID_ARGUMENT;
	unsigned need = (unsigned)EXT2_DIR_REC_LEN(nlen);
	struct dirtail *t = slot(w, dir, true);
	errcode_t e;
	if (!t->buf && (e = load_tail(w, t)))
		return e;
	for (int attempt = 0; attempt < 2; attempt++) {
		struct ext2_dir_entry *d = (struct ext2_dir_entry *)(t->buf + t->last);
		unsigned rl, used;
		if ((e = ext2fs_get_rec_len(fs, d, &rl)))
			return e;
		used = d->inode ? (unsigned)EXT2_DIR_REC_LEN(ext2fs_dirent_name_len(d)) : 0;
		if (rl - used >= need) {
			if (used) {
				if ((e = ext2fs_set_rec_len(fs, used, d)))
					return e;
				t->last += used;
				d = (struct ext2_dir_entry *)(t->buf + t->last);
				if ((e = ext2fs_set_rec_len(fs, rl - used, d)))
					return e;
			}
			d->inode = ino;
			ext2fs_dirent_set_name_len(d, (int)nlen);
			ext2fs_dirent_set_file_type(d, ftype);
			memcpy(d->name, name, nlen);
			memset(d->name + nlen, 0, (size_t)(EXT2_DIR_REC_LEN(nlen) - 8) - nlen);
			t->dirty = true;
			return 0;
		}
		/* full: add an empty block and move there */
		if ((e = flush(w, t)) || (e = ext2fs_expand_dir(fs, dir)) || (e = load_tail(w, t)))
			return e;
	}
	return EXT2_ET_DIR_NO_SPACE;
}
