/* mmdebstrap driver + content-addressed rootfs cache.
 *
 * mmdebstrap is run with an argv (no shell of ours); its hooks are small
 * `sh -c` scripts that mmdebstrap runs with the chroot as $1, so every value
 * put into them is single-quoted by sq(). */
#include "images/rootfs.h"
#include "images/artifact.h"
#include "lib/spawn.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/syntax.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Bump when the way hooks are generated changes the resulting tree. */
#define ROOTFS_RECIPE_ENGINE 1

char *rootfs_cache_dir(void)
{
	const char *e = getenv("KILN_CACHE_DIR");
	if (e && *e)
		return xstrdup(e);
	e = getenv("XDG_CACHE_HOME");
	if (e && *e)
		return path_join(e, "kiln");
	e = getenv("HOME");
	return xasprintf("%s/.cache/kiln", e && *e ? e : "/root");
}

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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void key_list(struct buf *b, const char *tag, char **v, size_t n, bool sort)
{
	char **c = xcalloc(n ? n : 1, sizeof *c);
	if (n)
		memcpy(c, v, n * sizeof *c);
	if (sort)
		qsort(c, n, sizeof *c, cmp_str);
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s %s\n", tag, c[i]);
	free(c);
}

static void hash_or_missing(struct buf *b, const char *tag, const char *path)
{
	char hex[65];
	if (sha256_file(path, hex) < 0)
		strcpy(hex, "missing");
	buf_printf(b, "%s %s\n", tag, hex);
}

char *rootfs_key_text(const struct rootfs_opts *o, char *const *artifact_sha)
{
	const struct recipe *r = o->recipe;
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "kiln-rootfs %d\nkiln %s\nsuite %s\nmirror %s\nvariant minbase\n",
		   ROOTFS_RECIPE_ENGINE, KILN_VERSION, o->suite, o->mirror);
	if (o->source_date_epoch >= 0)
		buf_printf(&b, "source-date-epoch %lld\n", (long long)o->source_date_epoch);
	key_list(&b, "package", r->packages, r->n_packages, true);
	key_list(&b, "initramfs-module", r->initramfs_modules, r->n_initramfs_modules, false);
	key_list(&b, "enable", r->enable, r->n_enable, false);
	key_list(&b, "disable", r->disable, r->n_disable, false);
	key_list(&b, "remove", r->remove, r->n_remove, false);
	for (size_t i = 0; i < r->n_files; i++) {
		const struct recipe_file *f = &r->files[i];
		buf_printf(&b, "file %s %04o ", f->path, (unsigned)f->mode);
		if (f->content) {
			unsigned char md[crypto_hash_sha256_BYTES];
			char hex[65];
			crypto_hash_sha256(md, (const unsigned char *)f->content, strlen(f->content));
			buf_printf(&b, "content %s\n", sodium_bin2hex(hex, sizeof hex, md, sizeof md));
		} else
			hash_or_missing(&b, "source", f->source);
	}
	for (size_t i = 0; i < r->n_repos; i++) {
		const struct recipe_apt_repo *a = &r->repos[i];
		buf_printf(&b, "repo %s %s %s", a->name, a->uri, a->suite);
		for (size_t j = 0; j < a->n_components; j++)
			buf_printf(&b, " %s", a->components[j]);
		buf_putc(&b, '\n');
		hash_or_missing(&b, "repo-key", a->key);
	}
	for (size_t i = 0; i < r->n_artifacts; i++)
		buf_printf(&b, "artifact %s %s %s\n", r->artifacts[i].name,
			   artifact_sha ? artifact_sha[i] : r->artifacts[i].sha256 ? r->artifacts[i].sha256 : "supplied",
			   r->artifacts[i].install_deb ? "deb" : "file");
	return buf_steal(&b);
}

int rootfs_key(const struct rootfs_opts *o, char *const *artifact_sha, char hex[65])
{
	char *t = rootfs_key_text(o, artifact_sha);
	unsigned char md[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(md, (const unsigned char *)t, strlen(t));
	free(t);
	sodium_bin2hex(hex, 65, md, sizeof md);
	return 0;
}

/* ---- running mmdebstrap ---- */

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

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	remove(p);
	return 0;
}

static void rm_rf(const char *p)
{
	nftw(p, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Stage recipe files with inline content (and artifacts) so hooks can copy them. */
static char *stage_content(const char *stage, size_t i, const char *content, int *err)
{
	char *name = xasprintf("file-%zu", i);
	char *p = path_join(stage, name);
	free(name);
	*err = write_file_atomic(p, content, strlen(content), 0644);
	return p;
}

static int build_argv(const struct rootfs_opts *o, const char *cache, const char *stage,
		      char *const *artifact_path, const char *tmp_tar, struct argv *a)
{
	const struct recipe *r = o->recipe;
	struct buf s;
	int e = 0;

	arg(a, xstrdup("mmdebstrap"));
	arg(a, xstrdup(geteuid() == 0 ? "--mode=root" : "--mode=unshare"));
	arg(a, xstrdup("--variant=minbase"));
	arg(a, xstrdup("--format=tar"));
	for (size_t i = 0; i < r->n_packages; i++)
		arg(a, xasprintf("--include=%s", r->packages[i]));

	/* The .deb cache: seed the chroot's archive dir, copy back at the end. */
	char *debs = path_join(cache, "debs");
	bool cache_debs = !strpbrk(debs, " \t\n") && mkdir_p(debs, 0755) == 0;
	buf_init(&s);
	buf_puts(&s, "mkdir -p \"$1/var/cache/apt/archives\" \"$1/etc/apt/keyrings\" "
		      "\"$1/etc/apt/sources.list.d\"");
	hook(a, "setup", &s);
	if (cache_debs)
		arg(a, xasprintf("--setup-hook=sync-in %s /var/cache/apt/archives/", debs));
	else
		log_warn("not keeping a .deb cache (cache path %s contains white space)", debs);

	/* Third-party repositories: while building, apt runs outside the chroot
	 * and needs the key's real path; the final list names the in-chroot one. */
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

	/* Before any --include package is installed: the initramfs module list
	 * (so the kernel's postinst builds the right initrd once), and dpkg
	 * told to keep that file although initramfs-tools ships it as a
	 * conffile. The dpkg setting is removed again at the end. */
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

	/* Recipe files, then units (a unit may come from a file). */
	for (size_t i = 0; i < r->n_files; i++) {
		const struct recipe_file *f = &r->files[i];
		char *src = f->source ? xstrdup(f->source) : stage_content(stage, i, f->content, &e);
		if (e < 0) {
			e = log_error_errno(e, "cannot stage %s", src);
			free(src);
			free(debs);
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
	 * from the same mirror, package lists are still present). */
	for (size_t i = 0; i < r->n_artifacts; i++) {
		if (!r->artifacts[i].install_deb)
			continue;
		buf_init(&s);
		buf_printf(&s, "mkdir -p \"$1/var/cache/kiln\" && cat ");
		sq(&s, artifact_path[i]);
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
	buf_init(&s);
	buf_puts(&s, "rm -f \"$1/etc/dpkg/dpkg.cfg.d/zz-kiln-build\"");
	hook(a, "customize", &s);
	if (cache_debs)
		arg(a, xasprintf("--customize-hook=sync-out /var/cache/apt/archives %s", debs));
	free(debs);

	arg(a, xstrdup(o->suite));
	arg(a, xstrdup(tmp_tar));
	arg(a, xstrdup(o->mirror));
	return 0;
}

static const char *override_for(const struct rootfs_opts *o, const char *name)
{
	for (size_t i = 0; i < o->n_overrides; i++)
		if (!strcmp(o->overrides[i].name, name))
			return o->overrides[i].path;
	return NULL;
}

bool recipe_has_artifact(const struct recipe *r, const char *name)
{
	for (size_t j = 0; j < r->n_artifacts; j++)
		if (!strcmp(r->artifacts[j].name, name))
			return true;
	return false;
}

/* The recipe's host files (files: source, apt_repositories: key) are read
 * by the cache key's hash and by the hooks' `cat`: each must be a regular
 * file, or a FIFO would hang the build and a device feed it garbage. */
static int check_host_file(const struct rootfs_opts *o, const char *what, const char *path)
{
	int fd = open_input(path, 0, SIZE_MAX);
	if (fd < 0) {
		log_error("[%s] recipe %s %s %s", o->role, what, path, input_strerror(fd));
		return fd;
	}
	close(fd);
	return 0;
}

static int check_host_files(const struct rootfs_opts *o)
{
	const struct recipe *r = o->recipe;
	int e = 0;
	for (size_t i = 0; e == 0 && i < r->n_files; i++)
		if (r->files[i].source)
			e = check_host_file(o, "file source", r->files[i].source);
	for (size_t i = 0; e == 0 && i < r->n_repos; i++)
		e = check_host_file(o, "repository key", r->repos[i].key);
	return e;
}

int rootfs_build(const struct rootfs_opts *o, char **tar_out, bool *cached)
{
	const struct recipe *r = o->recipe;
	char *cache = o->cache_dir ? xstrdup(o->cache_dir) : rootfs_cache_dir();
	char **apath = xcalloc(r->n_artifacts + 1, sizeof *apath);
	char **asha = xcalloc(r->n_artifacts + 1, sizeof *asha);
	char *dir = NULL, *final = NULL, *tmp = NULL, *stage = NULL;
	struct argv a = { 0 };
	struct run_log l = { .role = o->role, .start = time(NULL) };
	int e = 0;

	/* mmdebstrap makes the mirror an apt source line (profiles/syntax.h). */
	const char *why = syntax_apt_uri(o->mirror);
	if (why) {
		e = log_error_errno(EINVAL, "[%s] mirror '%s' %s", o->role, o->mirror, why);
		goto out;
	}
	if ((e = check_host_files(o)) < 0)
		goto out;
	for (size_t i = 0; i < r->n_artifacts; i++) {
		asha[i] = xcalloc(65, 1);
		if ((e = artifact_resolve(&r->artifacts[i], override_for(o, r->artifacts[i].name), cache,
					  &apath[i], asha[i])) < 0)
			goto out;
	}

	char key[65];
	rootfs_key(o, asha, key);
	dir = path_join(cache, "rootfs");
	if ((e = mkdir_p(dir, 0755)) < 0) {
		e = log_error_errno(e, "cannot create cache directory %s", dir);
		goto out;
	}
	char *name = xasprintf("%s.tar", key);
	final = path_join(dir, name);
	free(name);
	if (!o->refresh && access(final, R_OK) == 0) {
		log_info("[%s] rootfs: cache hit %s (mmdebstrap not run)", o->role, final);
		*cached = true;
		*tar_out = final;
		final = NULL;
		goto out;
	}
	*cached = false;

	tmp = xasprintf("%s/%s.tar.tmp-%ld", dir, key, (long)getpid());
	stage = xasprintf("%s/stage-%s-XXXXXX", dir, o->role);
	if (!mkdtemp(stage)) {
		e = log_error_errno(errno, "cannot create %s", stage);
		goto out;
	}
	if ((e = build_argv(o, cache, stage, apath, tmp, &a)) < 0)
		goto out;

	if (o->source_date_epoch >= 0) {
		char v[32];
		snprintf(v, sizeof v, "%lld", (long long)o->source_date_epoch);
		setenv("SOURCE_DATE_EPOCH", v, 1);
	}
	log_info("[%s] rootfs: cache miss, running mmdebstrap (%s %s, %zu packages)", o->role,
		 o->suite, o->mirror, r->n_packages);
	int rc = spawn_lines((const char *const *)a.v, on_line, &l);
	if (rc == -ENOENT) {
		e = log_error_errno(ENOENT, "mmdebstrap is not installed (apt-get install mmdebstrap)");
		goto out;
	}
	if (rc != 0) {
		for (size_t i = l.next > TAIL_LINES ? l.next - TAIL_LINES : 0; i < l.next; i++)
			fprintf(stderr, "  | %s\n", l.tail[i % TAIL_LINES]);
		if (rc < 0)
			e = log_error_errno(rc, "[%s] cannot run mmdebstrap", o->role);
		else {
			log_error("[%s] mmdebstrap failed (exit %d): %s", o->role, rc,
			      l.first_error ? l.first_error : "see its output above");
			e = -EIO;
		}
		goto out;
	}
	if (rename(tmp, final) < 0) {
		e = log_error_errno(errno, "cannot rename %s", tmp);
		goto out;
	}
	log_info("[%s] rootfs: built %s in %lds", o->role, final, (long)(time(NULL) - l.start));
	*tar_out = final;
	final = NULL;
out:
	if (tmp)
		unlink(tmp);
	if (stage)
		rm_rf(stage);
	for (size_t i = 0; i < TAIL_LINES; i++)
		free(l.tail[i]);
	free(l.first_error);
	for (size_t i = 0; i < a.n; i++)
		free(a.v[i]);
	free(a.v);
	for (size_t i = 0; i < r->n_artifacts; i++) {
		free(apath[i]);
		free(asha[i]);
	}
	free(apath);
	free(asha);
	free(stage);
	free(tmp);
	free(final);
	free(dir);
	free(cache);
	return e;
}
