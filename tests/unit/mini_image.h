/* A small kiln role image made with the project's own layout code
 * (images/layout.c): a synthetic rootfs tar (fake kernel, initrd, shim and
 * signed GRUB, the build machine's GRUB i386-pc files, /etc/kiln/role,
 * some incompressible data)
 * laid out as GPT + ESP + ext4 root. Shared by the baremetal unit tests and
 * tests/drivers/mini_image.c (the CLI tests' image maker). Header-only
 * because each test is its own binary; aborts on failure. */
#ifndef KILN_TEST_MINI_IMAGE_H
#define KILN_TEST_MINI_IMAGE_H
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "images/layout.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"

#define MINI_EPOCH 1700000000

static inline void mini_add(struct archive *a, const char *path, int dir, const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, dir ? 0755 : 0644);
	archive_entry_set_mtime(e, MINI_EPOCH, 0);
	archive_entry_set_size(e, dir ? 0 : (la_int64_t)len);
	if (archive_write_header(a, e) != ARCHIVE_OK || (len && archive_write_data(a, data, len) != (la_ssize_t)len))
		abort();
	archive_entry_free(e);
}

/* GRUB's BIOS files as grub-pc-bin puts them in a rootfs: the build
 * machine's /usr/lib/grub/i386-pc (package grub-pc-bin), sorted. */
#define MINI_GRUB_PC "/usr/lib/grub/i386-pc"
static inline int mini_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}
static inline void mini_add_grub_pc(struct archive *a)
{
	mini_add(a, "./usr/lib/grub/", 1, NULL, 0);
	mini_add(a, "./usr/lib/grub/i386-pc/", 1, NULL, 0);
	DIR *d = opendir(MINI_GRUB_PC);
	if (!d)
		abort();
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.') {
			names = xrealloc(names, (n + 1) * sizeof *names);
			names[n++] = xstrdup(e->d_name);
		}
	closedir(d);
	qsort(names, n, sizeof *names, mini_cmp);
	for (size_t i = 0; i < n; i++) {
		char *src = xasprintf(MINI_GRUB_PC "/%s", names[i]), *dst = xasprintf("./usr/lib/grub/i386-pc/%s", names[i]);
		char *data;
		size_t len;
		if (read_file(src, 16u << 20, &data, &len) < 0)
			abort();
		mini_add(a, dst, 0, data, len);
		free(data);
		free(src);
		free(dst);
		free(names[i]);
	}
	free(names);
}

/* The rootfs tar at tar_path: role `role`, data_mib MiB of pseudo-random
 * data in /var/data (seeded by `seed`, so two images can differ). */
static inline void mini_tar(const char *tar_path, const char *role, unsigned data_mib, uint32_t seed)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_filename(a, tar_path) != ARCHIVE_OK)
		abort();
	/* with the parents kiln build's role overlay writes into, so the tar can
	 * stand in for a cached rootfs (tests/cli/build_archive.sh) */
	static const char *const dirs[] = { "./", "./boot/", "./etc/", "./etc/kiln/", "./etc/systemd/",
					    "./etc/systemd/system/", "./usr/", "./usr/bin/", "./usr/lib/",
					    "./usr/lib/shim/", "./usr/lib/grub/x86_64-efi-signed/",
					    "./usr/lib/systemd/", "./usr/lib/systemd/system/", "./usr/sbin/",
					    "./usr/share/", "./var/", "./tmp/" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		mini_add(a, dirs[i], 1, NULL, 0);
	char role_line[64];
	snprintf(role_line, sizeof role_line, "%s\n", role);
	mini_add(a, "./etc/kiln/role", 0, role_line, strlen(role_line));
	mini_add(a, "./etc/hostname", 0, "kiln\n", 5);
	mini_add(a, "./boot/vmlinuz-6.1.0-1-amd64", 0, "kernel", 6);
	mini_add(a, "./boot/initrd.img-6.1.0-1-amd64", 0, "initrd", 6);
	mini_add(a, "./usr/lib/shim/shimx64.efi.signed", 0, "shim", 4);
	mini_add(a, "./usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed", 0, "grub", 4);
	mini_add_grub_pc(a);
	size_t n = (size_t)data_mib << 20;
	unsigned char *d = xmalloc(n ? n : 1);
	uint32_t x = seed | 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		d[i] = (unsigned char)(x >> 24);
	}
	if (n)
		mini_add(a, "./var/data", 0, d, n);
	free(d);
	if (archive_write_close(a) != ARCHIVE_OK)
		abort();
	archive_write_free(a);
}

/* A disk image of disk_mib MiB at out (0600). 0 or the layout's error. */
static inline int mini_image(const char *out, unsigned disk_mib, const char *role, unsigned data_mib,
			     uint32_t seed)
{
	char *tar = xasprintf("%s.tar", out);
	mini_tar(tar, role, data_mib, seed);
	char *identity = xasprintf("test/%s", role);
	struct layout_opts o = { .tar_path = tar, .out_path = out, .disk_size = (uint64_t)disk_mib << 20,
				 .esp_size = 40ull << 20, .source_date_epoch = MINI_EPOCH,
				 .identity = identity };
	int r = layout_build(&o);
	unlink(tar);
	free(tar);
	free(identity);
	return r;
}

#ifdef KILN_TEST_IMAGE_UTIL_H
/* A fresh temp dir holding a mini image as img.raw; mini_dir_done removes
 * both. For the unit tests (image_util.h gives the temp dir helpers). */
struct mini_dir {
	char *dir, *img;
};
static inline void mini_dir_make(struct mini_dir *m, unsigned disk_mib, const char *role, unsigned data_mib,
				 uint32_t seed)
{
	m->dir = make_tmpdir();
	m->img = xasprintf("%s/img.raw", m->dir);
	if (mini_image(m->img, disk_mib, role, data_mib, seed) < 0)
		abort();
}
static inline void mini_dir_done(struct mini_dir *m)
{
	rm_rf(m->dir);
	free(m->dir);
	free(m->img);
}
#endif
#endif
