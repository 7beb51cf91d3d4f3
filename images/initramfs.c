/* cpio newc with libarchive (initramfs.h). */
#include "images/initramfs.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct initramfs_entry *push(struct initramfs *f, const char *path, enum initramfs_type t, mode_t mode)
{
	f->v = xgrow(f->v, &f->cap, f->n + 1, sizeof *f->v);
	struct initramfs_entry *e = &f->v[f->n++];
	memset(e, 0, sizeof *e);
	e->path = xstrdup(path + strspn(path, "/"));
	e->type = t;
	e->mode = mode & 07777;
	return e;
}

void initramfs_add_dir(struct initramfs *f, const char *path, mode_t mode)
{
	push(f, path, INITRAMFS_DIR, mode);
}

void initramfs_add_file_owned(struct initramfs *f, const char *path, mode_t mode, void *data, size_t len)
{
	struct initramfs_entry *e = push(f, path, INITRAMFS_FILE, mode);
	e->data = data;
	e->len = len;
}

void initramfs_add_file(struct initramfs *f, const char *path, mode_t mode, const void *data, size_t len)
{
	void *copy = xmalloc(len ? len : 1);
	if (len)
		memcpy(copy, data, len);
	initramfs_add_file_owned(f, path, mode, copy, len);
}

void initramfs_add_symlink(struct initramfs *f, const char *path, const char *target)
{
	push(f, path, INITRAMFS_SYMLINK, 0777)->target = xstrdup(target);
}

void initramfs_add_chardev(struct initramfs *f, const char *path, mode_t mode, unsigned major, unsigned minor)
{
	struct initramfs_entry *e = push(f, path, INITRAMFS_CHARDEV, mode);
	e->major = major;
	e->minor = minor;
}

bool initramfs_has(const struct initramfs *f, const char *path)
{
	path += strspn(path, "/");
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].path, path))
			return true;
	return false;
}

void initramfs_free(struct initramfs *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].path);
		free(f->v[i].data);
		free(f->v[i].target);
	}
	free(f->v);
	memset(f, 0, sizeof *f);
}

static void add_parents(struct initramfs *f)
{
	for (size_t i = 0; i < f->n; i++) {
		char *p = xstrdup(f->v[i].path);
		for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
			*s = '\0';
			if (!initramfs_has(f, p))
				initramfs_add_dir(f, p, 0755);
			*s = '/';
		}
		free(p);
	}
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct initramfs_entry *)a)->path, ((const struct initramfs_entry *)b)->path);
}

static int write_entry(struct archive *a, const struct initramfs_entry *x, size_t ino, int64_t mtime)
{
	static const unsigned types[] = { AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR };
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, x->path);
	archive_entry_set_filetype(e, types[x->type]);
	archive_entry_set_perm(e, x->mode);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_ino(e, (la_int64_t)ino);
	archive_entry_set_nlink(e, x->type == INITRAMFS_DIR ? 2 : 1);
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_size(e, x->type == INITRAMFS_FILE ? (la_int64_t)x->len : 0);
	if (x->type == INITRAMFS_SYMLINK)
		archive_entry_set_symlink(e, x->target);
	if (x->type == INITRAMFS_CHARDEV) {
		archive_entry_set_rdevmajor(e, x->major);
		archive_entry_set_rdevminor(e, x->minor);
	}
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return -EIO;
	if (x->type == INITRAMFS_FILE && x->len && archive_write_data(a, x->data, x->len) != (la_ssize_t)x->len)
		return -EIO;
	return 0;
}

int initramfs_write(struct initramfs *f, const char *out, int64_t mtime, bool compress)
{
	add_parents(f);
	qsort(f->v, f->n, sizeof *f->v, by_path);
	for (size_t i = 1; i < f->n; i++)
		if (!strcmp(f->v[i].path, f->v[i - 1].path))
			return log_error_errno(EEXIST, "initramfs: %s added twice", f->v[i].path);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_error_errno(errno, "cannot create %s", out);
	struct archive *a = archive_write_new();
	int r = 0;
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    (compress && (archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
			  archive_write_set_filter_option(a, "zstd", "compression-level", "9") != ARCHIVE_OK)) ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK)
		r = -EIO;
	for (size_t i = 0; r == 0 && i < f->n; i++)
		r = write_entry(a, &f->v[i], i + 1, mtime < 0 ? 0 : mtime);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = -EIO;
	if (r < 0)
		log_error("writing the initramfs %s: %s", out, archive_error_string(a) ? archive_error_string(a) : "I/O error");
	archive_write_free(a);
	if (close(fd) < 0 && r == 0)
		r = log_error_errno(errno, "writing %s", out);
	if (r < 0)
		unlink(out);
	return r;
}
