/* The content-addressed rootfs cache (rootfs.h): the key, the archives'
 * state, the offline fallback, the record kept beside each tar. The
 * mmdebstrap run itself is images/rootfs_mmdebstrap.c. */
#include "images/rootfs.h"
#include "images/apt_key.h"
#include "images/archive_state.h"
#include "images/artifact.h"
#include "images/rootfs_internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/syntax.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Bump when the way hooks are generated changes the resulting tree. */
#define ROOTFS_RECIPE_ENGINE 2
#define HEX 64

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

static void sha256_hex(const char *text, char hex[65])
{
	unsigned char md[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(md, (const unsigned char *)text, strlen(text));
	sodium_bin2hex(hex, 65, md, sizeof md);
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

/* The key text of recipe r (already for the suite). */
static char *key_text(const struct rootfs_opts *o, const struct recipe *r, const struct apt_archives *arch,
		      char *const *artifact_sha)
{
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "kiln-rootfs %d\nkiln %s\nsuite %s\nvariant minbase\n", ROOTFS_RECIPE_ENGINE, KILN_VERSION,
		   o->debian->suite);
	for (size_t i = 0; i < arch->n; i++)
		buf_printf(&b, "archive %s %s " APT_COMPONENT " image %s\n", arch->v[i].uri, arch->v[i].suite,
			   arch->v[i].image_uri);
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
			char hex[65];
			sha256_hex(f->content, hex);
			buf_printf(&b, "content %s\n", hex);
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

static const char *override_for(const struct rootfs_opts *o, const char *name)
{
	for (size_t i = 0; i < o->n_overrides; i++)
		if (!strcmp(o->overrides[i].name, name))
			return o->overrides[i].path;
	return NULL;
}

char *rootfs_key_text(const struct rootfs_opts *o, char *const *artifact_sha)
{
	struct recipe r;
	struct apt_archives arch;
	recipe_for_suite(o->recipe, o->debian->suite, &r);
	apt_archives_for(o->debian, &arch);
	/* Not given: each supplied file's sha256, as the build takes it (a
	 * file it cannot read: "missing"), else the pin. */
	char **own = NULL;
	if (!artifact_sha && o->n_overrides) {
		own = xcalloc(r.n_artifacts ? r.n_artifacts : 1, sizeof *own);
		for (size_t i = 0; i < r.n_artifacts; i++) {
			const char *path = override_for(o, r.artifacts[i].name);
			own[i] = xcalloc(65, 1);
			if (path && sha256_file(path, own[i]) < 0)
				strcpy(own[i], "missing");
			else if (!path)
				snprintf(own[i], 65, "%s", r.artifacts[i].sha256 ? r.artifacts[i].sha256 : "supplied");
		}
	}
	char *t = key_text(o, &r, &arch, own ? own : artifact_sha);
	for (size_t i = 0; own && i < r.n_artifacts; i++)
		free(own[i]);
	free(own);
	apt_archives_free(&arch);
	recipe_free(&r);
	return t;
}

int rootfs_key(const struct rootfs_opts *o, char *const *artifact_sha, char hex[65])
{
	char *t = rootfs_key_text(o, artifact_sha);
	sha256_hex(t, hex);
	free(t);
	return 0;
}

static int state_text(const struct rootfs_opts *o, const struct apt_archives *arch, char **text, char *why,
		      size_t why_len)
{
	struct buf b;
	buf_init(&b);
	if (arch->snapshot)
		/* A snapshot never moves: its time stamp is its state. */
		buf_printf(&b, "snapshot %s\n", arch->snapshot);
	for (size_t i = 0; !arch->snapshot && i < arch->n; i++) {
		struct archive_state st;
		int e = archive_state_fetch(&arch->v[i], &st, why, why_len);
		if (e < 0) {
			buf_free(&b);
			return e;
		}
		buf_printf(&b, "inrelease %s %s %s\n", arch->v[i].suite, st.sha256, arch->v[i].uri);
	}
	*text = buf_steal(&b);
	return 0;
}

int rootfs_state_text(const struct rootfs_opts *o, char **text, char *why, size_t why_len)
{
	struct apt_archives arch;
	apt_archives_for(o->debian, &arch);
	int e = state_text(o, &arch, text, why, why_len);
	apt_archives_free(&arch);
	return e;
}

bool recipe_has_artifact(const struct recipe *r, const char *name)
{
	for (size_t j = 0; j < r->n_artifacts; j++)
		if (!strcmp(r->artifacts[j].name, name))
			return true;
	return false;
}

/* <dir>/<base><ext> */
static char *entry_path(const char *dir, const char *base, const char *ext)
{
	return xasprintf("%s/%s%s", dir, base, ext);
}

/* The record of a cached tar; a tar without one (or with a broken one)
 * reports its file time as its build time and nothing else. */
static void load_meta(const char *dir, const char *base, const char *tar, struct rootfs_meta *m)
{
	_cleanup_free_ char *p = entry_path(dir, base, ".meta");
	if (rootfs_meta_read(p, m) < 0) {
		struct stat st;
		memset(m, 0, sizeof *m);
		m->built = stat(tar, &st) == 0 ? (int64_t)st.st_mtime : -1;
	}
}

/* The newest cached tree with these inputs (<key>-<state>.tar): by its
 * packages' date, then its build time. *base malloc'd, NULL if none. */
static void newest_cached(const char *dir, const char *key, char **base, struct rootfs_meta *meta)
{
	*base = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	int64_t best_date = -2, best_built = -2;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n != HEX + 1 + HEX + 4 || strncmp(de->d_name, key, HEX) || de->d_name[HEX] != '-' ||
		    strcmp(de->d_name + n - 4, ".tar"))
			continue;
		_cleanup_free_ char *b = xstrndup(de->d_name, n - 4), *tar = entry_path(dir, b, ".tar");
		struct rootfs_meta m;
		load_meta(dir, b, tar, &m);
		int64_t date = rootfs_meta_packages_date(&m);
		if (date > best_date || (date == best_date && m.built > best_built)) {
			best_date = date;
			best_built = m.built;
			free(*base);
			*base = TAKE_PTR(b);
			rootfs_meta_free(meta);
			*meta = m;
		} else
			rootfs_meta_free(&m);
	}
	closedir(d);
}

/* The files a build's capture hook copied that match `pattern`; globfree
 * it after. */
static void captured(const char *stage, const char *pattern, glob_t *g)
{
	_cleanup_free_ char *p = xasprintf("%s/" ROOTFS_CAPTURE "/lists/%s", stage, pattern);
	memset(g, 0, sizeof *g);
	if (glob(p, 0, NULL, g) != 0)
		g->gl_pathc = 0;
}

/* What a fresh build records: the archives as apt saw them (their
 * InRelease captured from the tree), and the security updates. */
static void record_build(const struct rootfs_opts *o, const struct apt_archives *arch, const char *stage,
			 const char *cache, struct rootfs_meta *m)
{
	memset(m, 0, sizeof *m);
	m->built = (int64_t)time(NULL);
	m->snapshot = arch->snapshot ? xstrdup(arch->snapshot) : NULL;
	for (size_t i = 0; i < arch->n; i++) {
		_cleanup_free_ char *pat = xasprintf("*_dists_%s_InRelease", arch->v[i].suite), *text = NULL;
		glob_t g;
		captured(stage, pat, &g);
		struct archive_state st = { .sha256 = "", .date = -1 };
		size_t len;
		if (g.gl_pathc && read_file(g.gl_pathv[0], ARCHIVE_RELEASE_MAX, &text, &len) == 0)
			archive_state_of(text, len, &st);
		globfree(&g);
		rootfs_meta_add_archive(m, arch->v[i].uri, arch->v[i].suite, st.sha256, st.date);
		if (arch->v[i].security)
			m->security_suite = xstrdup(arch->v[i].suite);
	}
	if (!m->security_suite)
		return;
	_cleanup_free_ char *status = xasprintf("%s/" ROOTFS_CAPTURE "/status", stage);
	_cleanup_free_ char *pat = xasprintf("*_dists_%s_*_Packages*", m->security_suite);
	_cleanup_free_ char *debs = path_join(cache, "debs");
	glob_t g;
	captured(stage, pat, &g);
	int e = access(status, R_OK) < 0 || !g.gl_pathc ? -ENOENT
		: rootfs_meta_security(m, status, g.gl_pathv, g.gl_pathc, debs);
	if (e < 0)
		log_warn("[%s] rootfs: the security updates are unknown: %s", o->role,
			 e == -ENOENT ? "the build left no dpkg status or security index to read" : strerror(-e));
	globfree(&g);
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

/* What the build writes into apt source lines and hooks, checked again
 * here (profiles/syntax.h): the archives' URIs and the recipe's host files. */
static int check_inputs(const struct rootfs_opts *o, const struct recipe *r, const struct apt_archives *arch)
{
	for (size_t i = 0; i < arch->n; i++) {
		const char *uris[] = { arch->v[i].uri, arch->v[i].image_uri }, *why;
		for (size_t j = 0; j < 2; j++)
			if ((why = syntax_apt_uri(uris[j]))) {
				log_error("[%s] archive URI '%s' %s", o->role, uris[j], why);
				return -EINVAL;
			}
	}
	int e = 0;
	for (size_t i = 0; e == 0 && i < r->n_files; i++)
		if (r->files[i].source)
			e = check_host_file(o, "file source", r->files[i].source);
	for (size_t i = 0; e == 0 && i < r->n_repos; i++)
		e = apt_repo_key_check(o->role, &r->repos[i]);
	return e;
}

static int resolve_artifacts(const struct rootfs_opts *o, const struct recipe *r, const char *cache,
			     char **apath, char **asha)
{
	for (size_t i = 0; i < r->n_artifacts; i++) {
		asha[i] = xcalloc(65, 1);
		int e = artifact_resolve(&r->artifacts[i], override_for(o, r->artifacts[i].name), cache, &apath[i],
					 asha[i]);
		if (e < 0)
			return e;
	}
	return 0;
}

/* Where the archives' state could not be known: say how old the tree is. */
static void warn_stale(const struct rootfs_opts *o, const char *why, const struct rootfs_meta *m)
{
	char day[32];
	int64_t date = rootfs_meta_packages_date(m);
	rootfs_meta_day(date, day);
	long long days = date >= 0 ? ((long long)time(NULL) - date) / 86400 : -1;
	if (date >= 0 && days < 0)
		days = 0;   /* dated ahead of this machine's clock */
	if (days >= 0)
		log_warn("[%s] rootfs: %s: using the newest cached root filesystem for these inputs; its packages "
			 "are those of %s, %lld day%s old (build with the archives reachable for newer ones)",
			 o->role, why, day, days, days == 1 ? "" : "s");
	else
		log_warn("[%s] rootfs: %s: using the newest cached root filesystem for these inputs; how old its "
			 "packages are is unknown", o->role, why);
}

static void report(const struct rootfs_opts *o, const struct rootfs_meta *m)
{
	struct buf b;
	buf_init(&b);
	rootfs_meta_summary(m, &b);
	log_info("[%s] security: %s", o->role, b.data);
	buf_free(&b);
}

/* The tree for these inputs, by the archives' state: *base is its name
 * (malloc'd); *hit when it is in the cache. Without the state (offline,
 * unreachable archives), the newest cached tree. */
static int choose(const struct rootfs_opts *o, const struct apt_archives *arch, const char *dir, const char *key,
		  char **base, bool *hit, struct rootfs_result *res)
{
	char why[512] = "";
	_cleanup_free_ char *state = NULL;
	int e = 0;
	if (o->offline && !arch->snapshot)
		snprintf(why, sizeof why, "--offline");
	else if ((e = state_text(o, arch, &state, why, sizeof why)) == -EHOSTUNREACH) {
		_cleanup_free_ char *w = xasprintf("cannot reach the archives (%s)", why);
		snprintf(why, sizeof why, "%s", w);
	} else if (e < 0) {
		log_error("[%s] rootfs: cannot read the state of the archives: %s%s", o->role, why,
			  e == -ENOENT ? " (is that suite on this mirror? docs/profile.md: debian)" : "");
		return e;
	}
	if (state) {
		char st[65];
		sha256_hex(state, st);
		*base = xasprintf("%s-%s", key, st);
		_cleanup_free_ char *tar = entry_path(dir, *base, ".tar");
		*hit = !o->refresh && access(tar, R_OK) == 0;
		return 0;
	}
	if (o->refresh) {
		log_error("[%s] rootfs: --refresh needs the archives: %s", o->role, why);
		return -ENETUNREACH;
	}
	newest_cached(dir, key, base, &res->meta);
	if (!*base) {
		log_error("[%s] rootfs: %s, and no root filesystem for these inputs is cached (build once with "
			  "the archives reachable)", o->role, why);
		return -ENOENT;
	}
	warn_stale(o, why, &res->meta);
	res->stale = *hit = true;
	return 0;
}

static int build(const struct rootfs_opts *o, const struct recipe *r, const struct apt_archives *arch,
		 const char *cache, const char *dir, const char *base, char **apath, struct rootfs_result *res)
{
	_cleanup_free_ char *stage = xasprintf("%s/stage-%s-XXXXXX", dir, o->role);
	if (!mkdtemp(stage))
		return log_error_errno(errno, "cannot create %s", stage);
	_cleanup_free_ char *tmp = xasprintf("%s/%s.tar.tmp-%ld", dir, base, (long)getpid());
	_cleanup_free_ char *final = entry_path(dir, base, ".tar"), *meta = entry_path(dir, base, ".meta");
	time_t start = time(NULL);
	struct rootfs_run run = { .o = o, .recipe = r, .archives = arch, .cache = cache, .stage = stage,
				  .tmp_tar = tmp, .artifact_path = apath };
	int e = rootfs_mmdebstrap(&run);
	if (e == 0) {
		record_build(o, arch, stage, cache, &res->meta);
		/* The record first: a tar in the cache always has its record. */
		if ((e = rootfs_meta_write(meta, &res->meta)) < 0)
			e = log_error_errno(e, "cannot write %s", meta);
		else if (rename(tmp, final) < 0) {
			e = log_error_errno(errno, "cannot rename %s", tmp);
			unlink(meta);
		}
	}
	unlink(tmp);
	rm_rf(stage);
	if (e < 0)
		return e;
	log_info("[%s] rootfs: built %s in %lds", o->role, final, (long)(time(NULL) - start));
	res->tar = TAKE_PTR(final);
	return 0;
}

/* The tree of recipe r (already for the suite) from these archives:
 * taken from the cache, or built. */
static int tree_for(const struct rootfs_opts *o, const struct recipe *r, const struct apt_archives *arch,
		    char **apath, char **asha, struct rootfs_result *res)
{
	_cleanup_free_ char *cache = o->cache_dir ? xstrdup(o->cache_dir) : rootfs_cache_dir();
	_cleanup_free_ char *dir = path_join(cache, "rootfs"), *base = NULL;
	int e = check_inputs(o, r, arch);
	if (e < 0 || (e = resolve_artifacts(o, r, cache, apath, asha)) < 0)
		return e;
	if ((e = mkdir_p(dir, 0755)) < 0)
		return log_error_errno(e, "cannot create cache directory %s", dir);
	char key[65];
	_cleanup_free_ char *text = key_text(o, r, arch, asha);
	sha256_hex(text, key);
	bool hit = false;
	if ((e = choose(o, arch, dir, key, &base, &hit, res)) < 0)
		return e;
	if (hit) {
		res->tar = entry_path(dir, base, ".tar");
		res->cached = true;
		if (!res->stale)
			load_meta(dir, base, res->tar, &res->meta);
		log_info("[%s] rootfs: cache hit %s (mmdebstrap not run)", o->role, res->tar);
	} else if ((e = build(o, r, arch, cache, dir, base, apath, res)) < 0)
		return e;
	report(o, &res->meta);
	return 0;
}

int rootfs_build_ex(const struct rootfs_opts *o, struct rootfs_result *res)
{
	memset(res, 0, sizeof *res);
	if (!debian_suite_find(o->debian->suite)) {
		_cleanup_free_ char *known = debian_suites_list();
		log_error("[%s] unsupported Debian suite '%s' (supported: %s)", o->role, o->debian->suite, known);
		return -EINVAL;
	}
	struct recipe r;
	struct apt_archives arch;
	recipe_for_suite(o->recipe, o->debian->suite, &r);
	apt_archives_for(o->debian, &arch);
	/* Per artifact: its local path and its sha256. */
	char **apath = xcalloc(r.n_artifacts + 1, sizeof *apath);
	char **asha = xcalloc(r.n_artifacts + 1, sizeof *asha);
	int e = tree_for(o, &r, &arch, apath, asha, res);
	if (e < 0)
		rootfs_result_free(res);
	for (size_t i = 0; i < r.n_artifacts; i++) {
		free(apath[i]);
		free(asha[i]);
	}
	free(apath);
	free(asha);
	apt_archives_free(&arch);
	recipe_free(&r);
	return e;
}

void rootfs_result_free(struct rootfs_result *res)
{
	free(res->tar);
	rootfs_meta_free(&res->meta);
	memset(res, 0, sizeof *res);
}

int rootfs_build(const struct rootfs_opts *o, char **tar_out, bool *cached)
{
	struct rootfs_result res;
	int e = rootfs_build_ex(o, &res);
	if (e < 0)
		return e;
	*tar_out = res.tar;
	*cached = res.cached;
	res.tar = NULL;
	rootfs_result_free(&res);
	return 0;
}
