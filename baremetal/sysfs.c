/* sysfs and procfs readers for the disk probe (sysfs.h). */
#include "baremetal/sysfs.h"
#include "lib/diskinfo.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

const struct bm_roots bm_roots_host = { "/sys", "/proc" };

#define PROC_MAX (16u << 20)

static char *real(const char *p)
{
	char *r = realpath(p, NULL);
	if (!r && errno == ENOMEM)
		abort();
	return r;
}

char *bm_sysfs_dir(const struct bm_roots *r, dev_t devno)
{
	char *p = xasprintf("%s/dev/block/%u:%u", r->sysfs, major(devno), minor(devno));
	char *d = real(p);
	free(p);
	return d;
}

char *bm_sysfs_dir_by_name(const struct bm_roots *r, const char *name)
{
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return NULL;
	char *p = xasprintf("%s/class/block/%s", r->sysfs, name);
	char *d = real(p);
	free(p);
	return d;
}

bool bm_sysfs_is_partition(const char *dir)
{
	char *p = path_join(dir, "partition");
	bool yes = access(p, F_OK) == 0;
	free(p);
	return yes;
}

int bm_sysfs_devno(const char *dir, dev_t *out)
{
	char b[64];
	unsigned ma, mi;
	char tail;
	int e = sysfs_attr(dir, "dev", b, sizeof b);
	if (e < 0)
		return e;
	if (sscanf(b, "%u:%u%c", &ma, &mi, &tail) != 2)
		return -EBADMSG;
	*out = makedev(ma, mi);
	return 0;
}

void bm_names_add(struct bm_names *l, const char *name)
{
	if (bm_names_has(l, name))
		return;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = xstrdup(name);
}

bool bm_names_has(const struct bm_names *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], name))
			return true;
	return false;
}

void bm_names_free(struct bm_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Entries of a directory, sorted, without dot files; want() filters. */
static int list_dir(const char *dir, bool (*want)(const char *dir, const char *name),
		    struct bm_names *out)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && (!want || want(dir, e->d_name)))
			bm_names_add(out, e->d_name);
	closedir(d);
	for (size_t i = 1; i < out->n; i++)
		for (size_t j = i; j > 0 && strcmp(out->v[j - 1], out->v[j]) > 0; j--) {
			char *t = out->v[j];
			out->v[j] = out->v[j - 1];
			out->v[j - 1] = t;
		}
	return 0;
}

int bm_sysfs_list(const char *dir, const char *sub, struct bm_names *out)
{
	char *p = path_join(dir, sub);
	int e = list_dir(p, NULL, out);
	free(p);
	return e;
}

static bool is_partition_child(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	bool yes = bm_sysfs_is_partition(p);
	free(p);
	return yes;
}

int bm_sysfs_partitions(const char *dir, struct bm_names *out)
{
	return list_dir(dir, is_partition_child, out);
}

/* ---- procfs ------------------------------------------------------------- */

/* In place: the kernel escapes ' ', '\t', '\n' and '\\' as \ooo. */
static void unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p; ) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*o++ = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
			p += 4;
		} else
			*o++ = *p++;
	}
	*o = '\0';
}

static char *field(char **save)
{
	char *f = strtok_r(NULL, " ", save);
	if (f)
		unescape(f);
	return f;
}

static int read_proc(const struct bm_roots *r, const char *name, char **text)
{
	char *p = path_join(r->procfs, name);
	int e = read_file(p, PROC_MAX, text, NULL);
	free(p);
	return e;
}

/* "36 35 98:0 /root /target opts [optional...] - fstype source superopts" */
static int parse_mount_line(char *line, struct bm_mount *m)
{
	char *save = NULL, *f;
	unsigned ma, mi;
	char tail;
	if (!strtok_r(line, " ", &save) || !field(&save) || !(f = field(&save)) ||
	    sscanf(f, "%u:%u%c", &ma, &mi, &tail) != 2)
		return -EBADMSG;
	char *root = field(&save), *target = field(&save);
	if (!root || !target || !field(&save))
		return -EBADMSG;
	while ((f = field(&save)) && strcmp(f, "-") != 0)
		;
	char *fstype = f ? field(&save) : NULL, *source = fstype ? field(&save) : NULL;
	if (!source)
		return -EBADMSG;
	*m = (struct bm_mount){ makedev(ma, mi), xstrdup(root), xstrdup(target), xstrdup(fstype),
				xstrdup(source) };
	return 0;
}

int bm_mounts_read(const struct bm_roots *r, struct bm_mounts *out)
{
	char *text;
	memset(out, 0, sizeof *out);
	int e = read_proc(r, "self/mountinfo", &text);
	if (e < 0)
		return e;
	size_t cap = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct bm_mount m;
		if (parse_mount_line(line, &m) < 0) {
			e = -EBADMSG;
			break;
		}
		out->v = xgrow(out->v, &cap, out->n + 1, sizeof *out->v);
		out->v[out->n++] = m;
	}
	free(text);
	if (e < 0)
		bm_mounts_free(out);
	return e;
}

void bm_mounts_free(struct bm_mounts *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].root);
		free(m->v[i].target);
		free(m->v[i].fstype);
		free(m->v[i].source);
	}
	free(m->v);
	memset(m, 0, sizeof *m);
}

int bm_swaps_read(const struct bm_roots *r, struct bm_names *out)
{
	char *text;
	int e = read_proc(r, "swaps", &text);
	if (e == -ENOENT)
		return 0;   /* kernel without swap support */
	if (e < 0)
		return e;
	char *save = NULL;
	bool header = true;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (header) {
			header = false;
			continue;
		}
		char *s2 = NULL, *name = strtok_r(line, " \t", &s2);
		if (name) {
			unescape(name);
			bm_names_add(out, name);
		}
	}
	free(text);
	return 0;
}

/* ---- which disks ---------------------------------------------------------- */

static char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return xstrdup(s ? s + 1 : p);
}

static void whole_disks(const struct bm_roots *r, const char *dir, struct bm_names *out, int depth)
{
	if (depth > 8)
		return;
	char *d = xstrdup(dir);
	if (bm_sysfs_is_partition(d)) {
		char *slash = strrchr(d, '/');
		if (slash)
			*slash = '\0';
	}
	struct bm_names slaves = { 0 };
	bm_sysfs_list(d, "slaves", &slaves);
	if (slaves.n == 0) {
		char *n = base_name(d);
		bm_names_add(out, n);
		free(n);
	}
	for (size_t i = 0; i < slaves.n; i++) {
		char *sd = bm_sysfs_dir_by_name(r, slaves.v[i]);
		if (sd)
			whole_disks(r, sd, out, depth + 1);
		free(sd);
	}
	bm_names_free(&slaves);
	free(d);
}

void bm_disks_under(const struct bm_roots *r, const struct bm_mount *m, struct bm_names *out)
{
	char *dir = major(m->devno) ? bm_sysfs_dir(r, m->devno) : NULL;
	if (!dir && !strncmp(m->source, "/dev/", 5)) {
		/* btrfs and friends: an anonymous device; the source names the
		 * block device (a /dev/mapper/ name is a link to dm-N). */
		char *rp = real(m->source);
		char *n = base_name(rp ? rp : m->source);
		dir = bm_sysfs_dir_by_name(r, n);
		free(n);
		free(rp);
	}
	if (dir)
		whole_disks(r, dir, out, 0);
	free(dir);
}

int bm_boot_disks(const struct bm_roots *r, struct bm_names *out)
{
	static const char *const where[] = { "/", "/boot", "/boot/efi", "/usr" };
	struct bm_mounts ms;
	int e = bm_mounts_read(r, &ms);
	if (e < 0)
		return e;
	for (size_t i = 0; i < ms.n; i++)
		for (size_t k = 0; k < sizeof where / sizeof where[0]; k++)
			if (!strcmp(ms.v[i].target, where[k]))
				bm_disks_under(r, &ms.v[i], out);
	bm_mounts_free(&ms);
	return 0;
}

static bool is_loop(const char *dir, const char *name)
{
	(void)dir;
	return !strncmp(name, "loop", 4);
}

int bm_loops_backed_by(const struct bm_roots *r, const char *path, struct bm_names *out)
{
	char *want = real(path);
	if (!want)
		return 0;   /* does not exist yet: nothing backs onto it */
	struct bm_names loops = { 0 };
	char *blk = path_join(r->sysfs, "block");
	int e = list_dir(blk, is_loop, &loops);
	for (size_t i = 0; e == 0 && i < loops.n; i++) {
		char *d = path_join(blk, loops.v[i]), b[PATH_MAX + 16];
		if (sysfs_attr(d, "loop/backing_file", b, sizeof b) == 0) {
			size_t n = strlen(b);
			static const char deleted[] = " (deleted)";
			if (n > sizeof deleted - 1 && !strcmp(b + n - (sizeof deleted - 1), deleted))
				b[n - (sizeof deleted - 1)] = '\0';
			if (!strcmp(b, want))
				bm_names_add(out, loops.v[i]);
		}
		free(d);
	}
	free(blk);
	free(want);
	bm_names_free(&loops);
	return e;
}
