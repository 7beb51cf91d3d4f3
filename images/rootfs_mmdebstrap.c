/* One mmdebstrap run for the rootfs cache.
 *
 * mmdebstrap is run with an argv (no shell of ours); its hooks are small
 * `sh -c` scripts that mmdebstrap runs with the chroot as $1, so every value
 * put into them is single-quoted by sq(). */
#include "images/rootfs_internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Single-quote s for sh. */
static void sq(struct buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}

struct argv {
	char **v;
	size_t n, cap;
};

static void arg(struct argv *a, char *s)   /* takes ownership */
{
	a->v = xgrow(a->v, &a->cap, a->n + 2, sizeof *a->v);
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void hook(struct argv *a, const char *kind, struct buf *script)
{
	arg(a, xasprintf("--%s-hook=%s", kind, script->data));
	buf_free(script);
}

static void argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

/* Keep the last lines of mmdebstrap's output for the error message, and
 * pass its "I:" progress lines on. */
#define TAIL_LINES 30
struct run_log {
	const char *role;
	char *tail[TAIL_LINES];
	size_t next;
	char *first_error;
	time_t start;
};

static void on_line(void *ud, const char *line)
{
	struct run_log *l = ud;
	free(l->tail[l->next % TAIL_LINES]);
	l->tail[l->next % TAIL_LINES] = xstrdup(line);
	l->next++;
	if (!l->first_error && !strncmp(line, "E: ", 3) && !strstr(line, "mmdebstrap failed"))
		l->first_error = xstrdup(line + 3);
	if (!strncmp(line, "I: ", 3) && !strstr(line, "running --"))
		log_info("[%s] rootfs %3lds: %s", l->role, (long)(time(NULL) - l->start), line + 3);
}

/* Stage a text for a hook to copy into the tree; its path (malloc'd). */
static char *stage_text(const char *stage, const char *name, const char *text, int *err)
{
	char *p = path_join(stage, name);
	*err = write_file_atomic(p, text, strlen(text), 0644);
	if (*err < 0)
		log_error_errno(*err, "cannot stage %s", p);
	return p;
}

/* Third-party repositories: while building, apt runs outside the chroot
 * and needs the key's real path; the final list names the in-chroot one. */
static void repo_hooks(const struct recipe *r, struct argv *a)
{
	struct buf s;
	for (size_t i = 0; i < r->n_repos; i++) {
		const struct recipe_apt_repo *p = &r->repos[i];
		struct buf words;
		buf_init(&words);
		sq(&words, p->uri);
		buf_putc(&words, ' ');
		sq(&words, p->suite);
		for (size_t j = 0; j < p->n_components; j++) {
			buf_putc(&words, ' ');
			sq(&words, p->components[j]);
		}
		buf_init(&s);
		buf_puts(&s, "cat ");
		sq(&s, p->key);
		buf_printf(&s, " > \"$1/etc/apt/keyrings/kiln-%s.gpg\" && "
			       "echo \"deb [signed-by=$1/etc/apt/keyrings/kiln-%s.gpg]\" %s "
			       "> \"$1/etc/apt/sources.list.d/kiln-%s.list\"",
			   p->name, p->name, words.data, p->name);
		hook(a, "setup", &s);
		buf_init(&s);
		buf_printf(&s, "echo \"deb [signed-by=/etc/apt/keyrings/kiln-%s.gpg]\" %s "
			       "> \"$1/etc/apt/sources.list.d/kiln-%s.list\"",
			   p->name, words.data, p->name);
		hook(a, "customize", &s);
		buf_free(&words);
	}
}

/* Before any --include package is installed: the initramfs module list
 * (so the kernel's postinst builds the right initrd once), and dpkg told
 * to keep that file although initramfs-tools ships it as a conffile. The
 * dpkg setting is removed again at the end. */
static void initramfs_hook(const struct recipe *r, struct argv *a)
{
	struct buf s;
	buf_init(&s);
	buf_puts(&s, "mkdir -p \"$1/etc/initramfs-tools\" \"$1/etc/dpkg/dpkg.cfg.d\" && "
		      "printf 'force-confdef\\nforce-confold\\n' > \"$1/etc/dpkg/dpkg.cfg.d/zz-kiln-build\" && "
		      "printf '%s\\n' '# Drivers for QEMU, ESXi and EC2 disks and NICs (written by kiln).'");
	for (size_t i = 0; i < r->n_initramfs_modules; i++) {
		buf_putc(&s, ' ');
		sq(&s, r->initramfs_modules[i]);
	}
	buf_puts(&s, " > \"$1/etc/initramfs-tools/modules\"");
	hook(a, "essential", &s);
}

/* Recipe files, then artifacts, then units (a unit may come from a file). */
static int recipe_hooks(const struct rootfs_run *run, struct argv *a)
{
	const struct recipe *r = run->recipe;
	struct buf s;
	int e = 0;
	for (size_t i = 0; i < r->n_files; i++) {
		const struct recipe_file *f = &r->files[i];
		char *name = xasprintf("file-%zu", i);
		char *src = f->source ? xstrdup(f->source) : stage_text(run->stage, name, f->content, &e);
		free(name);
		if (e < 0) {
			free(src);
			return e;
		}
		char *dir = xstrdup(f->path);
		*strrchr(dir, '/') = 0;
		buf_init(&s);
		buf_puts(&s, "mkdir -p \"$1\"");
		sq(&s, *dir ? dir : "/");
		buf_puts(&s, " && cat ");
		sq(&s, src);
		buf_puts(&s, " > \"$1\"");
		sq(&s, f->path);
		buf_printf(&s, " && chmod %04o \"$1\"", (unsigned)f->mode);
		sq(&s, f->path);
		hook(a, "customize", &s);
		free(dir);
		free(src);
	}
	/* Artifacts installed as packages. Not through --include: apt would run
	 * dpkg inside the chroot on a path outside it. The .deb is copied in
	 * and installed by the chroot's own apt (which resolves dependencies
	 * from the same archives, package lists are still present). */
	for (size_t i = 0; i < r->n_artifacts; i++) {
		if (!r->artifacts[i].install_deb)
			continue;
		buf_init(&s);
		buf_printf(&s, "mkdir -p \"$1/var/cache/kiln\" && cat ");
		sq(&s, run->artifact_path[i]);
		buf_printf(&s, " > \"$1/var/cache/kiln/%s.deb\" && chroot \"$1\" env DEBIAN_FRONTEND=noninteractive "
			       "apt-get install -y --no-install-recommends /var/cache/kiln/%s.deb && "
			       "rm -rf \"$1/var/cache/kiln\"", r->artifacts[i].name, r->artifacts[i].name);
		hook(a, "customize", &s);
	}
	for (size_t i = 0; i < r->n_enable + r->n_disable; i++) {
		bool en = i < r->n_enable;
		buf_init(&s);
		buf_printf(&s, "chroot \"$1\" systemctl %s ", en ? "enable" : "disable");
		sq(&s, en ? r->enable[i] : r->disable[i - r->n_enable]);
		hook(a, "customize", &s);
	}
	/* remove: entries are checked by recipe_valid_glob (no quotes, spaces
	 * or shell syntax besides '*'), so they can stay unquoted to expand. */
	for (size_t i = 0; i < r->n_remove; i++) {
		buf_init(&s);
		buf_printf(&s, "rm -f \"$1\"%s", r->remove[i]);
		hook(a, "customize", &s);
	}
	return 0;
}

/* Once everything is installed, before mmdebstrap's cleanup empties apt's
 * lists: copy what the security report needs (rootfs_internal.h). */
static void capture_hook(const struct rootfs_run *run, struct argv *a)
{
	char *cap = path_join(run->stage, ROOTFS_CAPTURE);
	char *lists = path_join(cap, "lists");
	struct buf s;
	buf_init(&s);
	buf_puts(&s, "mkdir -p ");
	sq(&s, lists);
	buf_puts(&s, " && cp \"$1/var/lib/dpkg/status\" ");
	sq(&s, cap);
	buf_printf(&s, " && for f in \"$1\"/var/lib/apt/lists/*_InRelease \"$1\"/var/lib/apt/lists/*_Release "
		       "\"$1\"/var/lib/apt/lists/*_dists_%s-security_*_Packages*; do if [ -f \"$f\" ]; then cp \"$f\" ",
		   run->o->debian->suite);
	sq(&s, lists);
	buf_puts(&s, " || exit 1; fi; done");
	hook(a, "customize", &s);
	free(lists);
	free(cap);
}

/* The image's own apt sources: the live archives (a snapshot build's too),
 * in deb822 form; the one-line sources.list mmdebstrap wrote goes. */
static int sources_hook(const struct rootfs_run *run, struct argv *a)
{
	int e;
	char *text = apt_archives_deb822(run->archives);
	char *staged = stage_text(run->stage, "debian.sources", text, &e);
	free(text);
	if (e == 0) {
		struct buf s;
		buf_init(&s);
		buf_puts(&s, "rm -f \"$1/etc/apt/sources.list\" && cat ");
		sq(&s, staged);
		buf_puts(&s, " > \"$1" APT_SOURCES_PATH "\"");
		hook(a, "customize", &s);
	}
	free(staged);
	return e;
}

static int build_argv(const struct rootfs_run *run, struct argv *a)
{
	const struct recipe *r = run->recipe;
	struct buf s;
	int e;

	arg(a, xstrdup("mmdebstrap"));
	arg(a, xstrdup(geteuid() == 0 ? "--mode=root" : "--mode=unshare"));
	arg(a, xstrdup("--variant=minbase"));
	arg(a, xstrdup("--format=tar"));
	for (size_t i = 0; i < r->n_packages; i++)
		arg(a, xasprintf("--include=%s", r->packages[i]));

	/* The .deb cache: seed the chroot's archive dir, copy back at the end. */
	char *debs = path_join(run->cache, "debs");
	bool cache_debs = !strpbrk(debs, " \t\n") && mkdir_p(debs, 0755) == 0;
	buf_init(&s);
	buf_puts(&s, "mkdir -p \"$1/var/cache/apt/archives\" \"$1/etc/apt/keyrings\" "
		      "\"$1/etc/apt/sources.list.d\"");
	hook(a, "setup", &s);
	if (cache_debs)
		arg(a, xasprintf("--setup-hook=sync-in %s /var/cache/apt/archives/", debs));
	else
		log_warn("not keeping a .deb cache (cache path %s contains white space)", debs);

	repo_hooks(r, a);
	initramfs_hook(r, a);
	if ((e = recipe_hooks(run, a)) < 0) {
		free(debs);
		return e;
	}
	capture_hook(run, a);
	if ((e = sources_hook(run, a)) < 0) {
		free(debs);
		return e;
	}
	buf_init(&s);
	buf_puts(&s, "rm -f \"$1/etc/dpkg/dpkg.cfg.d/zz-kiln-build\"");
	hook(a, "customize", &s);
	/* Out into this run's own stage, not the shared cache: two builds at
	 * once (two lanes of make check, two operators' kiln build) would
	 * otherwise extract the same files into one directory together.
	 * rootfs_mmdebstrap moves them in one rename each (debs_merge). */
	char *out = path_join(run->stage, "debs");
	if (cache_debs && mkdir_p(out, 0755) == 0)
		arg(a, xasprintf("--customize-hook=sync-out /var/cache/apt/archives %s", out));
	free(out);
	free(debs);

	arg(a, xstrdup(run->o->debian->suite));
	arg(a, xstrdup(run->tmp_tar));
	for (size_t i = 0; i < run->archives->n; i++)
		arg(a, apt_archive_deb_line(run->archives, i));
	return 0;
}

/* Move the .debs a run copied out (into its stage) into the shared .deb
 * cache, a rename each: a reader (another run's sync-in) sees a whole file
 * or none, and the same name is the same package version, so replacing one
 * is harmless. The cache is only a cache: a failure is a warning. */
static void debs_merge(const struct rootfs_run *run)
{
	_cleanup_free_ char *from = path_join(run->stage, "debs"), *to = path_join(run->cache, "debs");
	DIR *d = opendir(from);
	if (!d)
		return;
	int warned = 0;
	for (struct dirent *de; (de = readdir(d));) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n < 5 || strcmp(de->d_name + n - 4, ".deb"))
			continue;
		_cleanup_free_ char *dst = path_join(to, de->d_name);
		if (renameat(dirfd(d), de->d_name, AT_FDCWD, dst) < 0 && !warned++)
			log_warn("[%s] rootfs: cannot keep %s in the .deb cache: %s", run->o->role, de->d_name,
				 strerror(errno));
	}
	closedir(d);
}

int rootfs_mmdebstrap(const struct rootfs_run *run)
{
	const struct rootfs_opts *o = run->o;
	struct argv a = { 0 };
	struct run_log l = { .role = o->role, .start = time(NULL) };
	int e = build_argv(run, &a);
	if (e < 0)
		goto out;
	if (o->source_date_epoch >= 0) {
		char v[32];
		snprintf(v, sizeof v, "%lld", (long long)o->source_date_epoch);
		setenv("SOURCE_DATE_EPOCH", v, 1);
	}
	struct buf from;
	buf_init(&from);
	for (size_t i = 0; i < run->archives->n; i++)
		buf_printf(&from, "%s%s", i ? ", " : "", run->archives->v[i].suite);
	log_info("[%s] rootfs: running mmdebstrap (%s from %s%s%s, %zu packages)", o->role, from.data,
		 o->debian->mirror, run->archives->snapshot ? ", snapshot " : "",
		 run->archives->snapshot ? run->archives->snapshot : "", run->recipe->n_packages);
	buf_free(&from);
	int rc = spawn_lines((const char *const *)a.v, on_line, &l);
	if (rc == -ENOENT) {
		e = log_error_errno(ENOENT, "mmdebstrap is not installed (apt-get install mmdebstrap)");
		goto out;
	}
	if (rc == 0) {
		debs_merge(run);
	} else {
		for (size_t i = l.next > TAIL_LINES ? l.next - TAIL_LINES : 0; i < l.next; i++)
			fprintf(stderr, "  | %s\n", l.tail[i % TAIL_LINES]);
		if (rc < 0)
			e = log_error_errno(rc, "[%s] cannot run mmdebstrap", o->role);
		else {
			log_error("[%s] mmdebstrap failed (exit %d): %s", o->role, rc,
				  l.first_error ? l.first_error : "see its output above");
			e = -EIO;
		}
	}
out:
	for (size_t i = 0; i < TAIL_LINES; i++)
		free(l.tail[i]);
	free(l.first_error);
	argv_free(&a);
	return e;
}
