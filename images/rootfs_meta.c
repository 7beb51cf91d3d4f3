/* The .meta file, one record a line, words separated by one space (URIs,
 * suites, package names and versions hold none):
 *   kiln-rootfs-meta 1
 *   built EPOCH
 *   snapshot STAMP                            (only when pinned)
 *   archive SHA256|- EPOCH|- SUITE URI        (one per archive)
 *   security-suite SUITE                      (absent: the profile opts out)
 *   security-index 0|1                        (was the security index captured?)
 *   security EPOCH|- NAME VERSION             (one per security update installed)
 * Read strictly: every line ends in '\n', built/snapshot/security-index come
 * at most once, security-index and security only after security-suite. */
#include "images/rootfs_meta.h"
#include "images/deb822.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/json.h"
#include "lib/numparse.h"
#include "lib/xalloc.h"
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define META_MAX (4u << 20)
#define STATUS_MAX (64u << 20)
#define INDEX_MAX (512u << 20)

void rootfs_meta_free(struct rootfs_meta *m)
{
	for (size_t i = 0; i < m->n_archives; i++) {
		free(m->archives[i].uri);
		free(m->archives[i].suite);
	}
	free(m->archives);
	for (size_t i = 0; i < m->n_security; i++) {
		free(m->security[i].name);
		free(m->security[i].version);
	}
	free(m->security);
	free(m->snapshot);
	free(m->security_suite);
	memset(m, 0, sizeof *m);
}

void rootfs_meta_add_archive(struct rootfs_meta *m, const char *uri, const char *suite, const char *sha256,
			     int64_t date)
{
	m->archives = xrealloc(m->archives, (m->n_archives + 1) * sizeof *m->archives);
	struct rootfs_archive_rec *a = &m->archives[m->n_archives++];
	*a = (struct rootfs_archive_rec){ .uri = xstrdup(uri), .suite = xstrdup(suite), .date = date };
	snprintf(a->sha256, sizeof a->sha256, "%s", sha256 ? sha256 : "");
}

static void add_pkg(struct rootfs_meta *m, const char *name, const char *version, int64_t date)
{
	m->security = xrealloc(m->security, (m->n_security + 1) * sizeof *m->security);
	m->security[m->n_security++] = (struct rootfs_pkg){ .name = xstrdup(name), .version = xstrdup(version),
							    .date = date };
}

static void put_time(struct buf *b, int64_t t)
{
	if (t < 0)
		buf_puts(b, " -");
	else
		buf_printf(b, " %lld", (long long)t);
}

char *rootfs_meta_text(const struct rootfs_meta *m)
{
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "kiln-rootfs-meta 1\nbuilt %lld\n", (long long)m->built);
	if (m->snapshot)
		buf_printf(&b, "snapshot %s\n", m->snapshot);
	for (size_t i = 0; i < m->n_archives; i++) {
		const struct rootfs_archive_rec *a = &m->archives[i];
		buf_printf(&b, "archive %s", *a->sha256 ? a->sha256 : "-");
		put_time(&b, a->date);
		buf_printf(&b, " %s %s\n", a->suite, a->uri);
	}
	if (m->security_suite)
		buf_printf(&b, "security-suite %s\nsecurity-index %d\n", m->security_suite, m->security_known);
	for (size_t i = 0; i < m->n_security; i++) {
		buf_puts(&b, "security");
		put_time(&b, m->security[i].date);
		buf_printf(&b, " %s %s\n", m->security[i].name, m->security[i].version);
	}
	return buf_steal(&b);
}

int rootfs_meta_write(const char *path, const struct rootfs_meta *m)
{
	char *t = rootfs_meta_text(m);
	int e = write_file_atomic(path, t, strlen(t), 0644);
	free(t);
	return e;
}

/* Split line into exactly n words (the last takes the rest). */
static bool words(char *line, char **w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!*line || *line == ' ')
			return false;
		w[i] = line;
		if (i + 1 == n)
			return !strchr(line, ' ');
		char *sp = strchr(line, ' ');
		if (!sp)
			return false;
		*sp = 0;
		line = sp + 1;
	}
	return true;
}

static bool read_time(const char *s, int64_t *t)
{
	uint64_t v;
	if (!strcmp(s, "-")) {
		*t = -1;
		return true;
	}
	if (parse_u64(s, 0, INT64_MAX, &v) < 0)
		return false;
	*t = (int64_t)v;
	return true;
}

static bool valid_sha(const char *s)
{
	return !strcmp(s, "-") || (strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64);
}

/* What one record may follow: the singular ones come once, the security
 * ones only after the security-suite line (as rootfs_meta_text writes). */
struct seen {
	bool header, built, snapshot, index;
};

static int parse_line(struct rootfs_meta *m, char *line, struct seen *seen)
{
	char *w[4];
	int64_t t;
	if (!seen->header)
		return (seen->header = !strcmp(line, "kiln-rootfs-meta 1")) ? 0 : -EBADMSG;
	char *rest = strchr(line, ' ');
	if (!rest)
		return -EBADMSG;
	*rest++ = 0;
	bool sec = m->security_suite != NULL;
	if (!strcmp(line, "built") && !seen->built && words(rest, w, 1) && read_time(w[0], &t) && t >= 0) {
		m->built = t;
		seen->built = true;
	} else if (!strcmp(line, "snapshot") && !seen->snapshot && words(rest, w, 1)) {
		m->snapshot = xstrdup(w[0]);
		seen->snapshot = true;
	} else if (!strcmp(line, "archive") && words(rest, w, 4) && valid_sha(w[0]) && read_time(w[1], &t))
		rootfs_meta_add_archive(m, w[3], w[2], strcmp(w[0], "-") ? w[0] : NULL, t);
	else if (!strcmp(line, "security-suite") && !sec && words(rest, w, 1))
		m->security_suite = xstrdup(w[0]);
	else if (!strcmp(line, "security-index") && sec && !seen->index && (!strcmp(rest, "0") || !strcmp(rest, "1"))) {
		m->security_known = rest[0] == '1';
		seen->index = true;
	} else if (!strcmp(line, "security") && sec && words(rest, w, 3) && read_time(w[0], &t))
		add_pkg(m, w[1], w[2], t);
	else
		return -EBADMSG;
	return 0;
}

int rootfs_meta_parse(const char *data, size_t len, struct rootfs_meta *m)
{
	memset(m, 0, sizeof *m);
	/* Text lines only, each ended by '\n' (a cut-off file is damaged). */
	if (!len || memchr(data, 0, len) || data[len - 1] != '\n')
		return -EBADMSG;
	_cleanup_free_ char *copy = xstrndup(data, len);
	struct seen seen = { 0 };
	int e = 0;
	for (char *line = copy, *nl; e == 0 && (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = 0;
		e = parse_line(m, line, &seen);
	}
	if (e == 0 && !seen.built)
		e = -EBADMSG;
	if (e < 0)
		rootfs_meta_free(m);
	return e;
}

int rootfs_meta_read(const char *path, struct rootfs_meta *m)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	memset(m, 0, sizeof *m);
	int e = read_file(path, META_MAX, &data, &len);
	return e < 0 ? e : rootfs_meta_parse(data, len, m);
}

/* ---- the security updates of a tree ---- */

struct pkgver {
	char *name, *version, *arch;
};

static void pkgvers_free(struct pkgver *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].version);
		free(v[i].arch);
	}
	free(v);
}

/* Name, version and architecture of each paragraph; with `installed`,
 * only those dpkg has installed. */
static void read_pkgvers(const char *text, size_t len, bool installed, struct pkgver **v, size_t *n)
{
	size_t pos = 0;
	struct deb822_para p;
	while (deb822_next(text, len, &pos, &p)) {
		char *name = deb822_field(&p, "Package"), *ver = deb822_field(&p, "Version");
		char *st = installed ? deb822_field(&p, "Status") : NULL;
		if (name && ver && !strchr(name, ' ') && !strchr(ver, ' ') && *name && *ver &&
		    (!installed || (st && !strcmp(st, "install ok installed")))) {
			*v = xrealloc(*v, (*n + 1) * sizeof **v);
			(*v)[(*n)++] = (struct pkgver){ .name = name, .version = ver,
							.arch = deb822_field(&p, "Architecture") };
			name = ver = NULL;
		}
		free(name);
		free(ver);
		free(st);
	}
}

/* The build date of <debs>/<name>_<version>_<arch>.deb (apt's naming, ':'
 * of an epoch as %3a): the time of its first ar member. -1 if unknown. */
static int64_t deb_date(const char *debs, const struct pkgver *p)
{
	if (!debs || !p->arch)
		return -1;
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s/%s_", debs, p->name);
	for (const char *s = p->version; *s; s++)
		if (*s == ':')
			buf_puts(&b, "%3a");
		else
			buf_putc(&b, *s);
	buf_printf(&b, "_%s.deb", p->arch);
	_cleanup_free_ char *name = buf_steal(&b);
	int64_t t = -1;
	struct archive *a = archive_read_new();
	archive_read_support_format_ar(a);
	struct archive_entry *e;
	if (archive_read_open_filename(a, name, 4096) == ARCHIVE_OK && archive_read_next_header(a, &e) == ARCHIVE_OK &&
	    archive_entry_mtime_is_set(e))
		t = archive_entry_mtime(e);
	archive_read_free(a);
	return t;
}

static int cmp_pkg(const void *a, const void *b)
{
	return strcmp(((const struct rootfs_pkg *)a)->name, ((const struct rootfs_pkg *)b)->name);
}

/* A Packages index as apt keeps it: plain, or compressed (apt's
 * KeepCompressedAs: gz, lz4, xz, zst), read through libarchive's raw
 * format with every filter. A regular file only (open_input): a FIFO would
 * block the build. */
static int read_index(const char *path, char **out, size_t *len)
{
	_cleanup_close_ int fd = open_input(path, 0, INDEX_MAX);
	if (fd < 0)
		return fd;
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct buf b;
	int r = 0;
	buf_init(&b);
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK)
		r = archive_errno(a) > 0 ? -archive_errno(a) : -EBADMSG;
	for (char chunk[1 << 16]; r == 0;) {
		la_ssize_t n = archive_read_data(a, chunk, sizeof chunk);
		if (n < 0)
			r = -EBADMSG;
		else if (n == 0)
			break;
		else if (b.len + (size_t)n > INDEX_MAX)
			r = -EFBIG;
		else
			buf_append(&b, chunk, (size_t)n);
	}
	archive_read_free(a);
	if (r < 0) {
		buf_free(&b);
		return r;
	}
	*len = b.len;
	*out = b.len ? buf_steal(&b) : xstrdup("");
	return 0;
}

int rootfs_meta_security(struct rootfs_meta *m, const char *status_path, char *const *index_paths,
			 size_t n_index, const char *debs_dir)
{
	struct pkgver *inst = NULL, *sec = NULL;
	size_t n_inst = 0, n_sec = 0, len = 0;
	_cleanup_free_ char *status = NULL;
	int e = read_file(status_path, STATUS_MAX, &status, &len);
	if (e < 0)
		return e;
	read_pkgvers(status, len, true, &inst, &n_inst);
	for (size_t i = 0; i < n_index && e == 0; i++) {
		_cleanup_free_ char *text = NULL;
		if ((e = read_index(index_paths[i], &text, &len)) == 0)
			read_pkgvers(text, len, false, &sec, &n_sec);
	}
	for (size_t i = 0; i < n_inst && e == 0; i++)
		for (size_t j = 0; j < n_sec; j++)
			if (!strcmp(inst[i].name, sec[j].name) && !strcmp(inst[i].version, sec[j].version)) {
				add_pkg(m, inst[i].name, inst[i].version, deb_date(debs_dir, &inst[i]));
				break;
			}
	if (e == 0) {
		if (m->n_security)   /* qsort's base may not be NULL, even for none */
			qsort(m->security, m->n_security, sizeof *m->security, cmp_pkg);
		m->security_known = true;
	}
	pkgvers_free(inst, n_inst);
	pkgvers_free(sec, n_sec);
	return e;
}

const struct rootfs_pkg *rootfs_meta_newest(const struct rootfs_meta *m)
{
	const struct rootfs_pkg *best = NULL;
	for (size_t i = 0; i < m->n_security; i++)
		if (m->security[i].date >= 0 && (!best || m->security[i].date > best->date))
			best = &m->security[i];
	return best;
}

int64_t rootfs_meta_packages_date(const struct rootfs_meta *m)
{
	int64_t t = -1;
	for (size_t i = 0; i < m->n_archives; i++)
		if (m->archives[i].date > t)
			t = m->archives[i].date;
	return t >= 0 ? t : m->built;
}

static void fmt_time(int64_t t, const char *fmt, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t < 0 || !gmtime_r(&tt, &tm) || !strftime(out, 32, fmt, &tm))
		snprintf(out, 32, "unknown");
}

void rootfs_meta_day(int64_t t, char out[32])
{
	fmt_time(t, "%Y-%m-%d", out);
}

void rootfs_meta_time(int64_t t, char out[32])
{
	fmt_time(t, "%Y-%m-%dT%H:%M:%SZ", out);
}

static void json_time(struct buf *b, int64_t t)
{
	char s[32];
	rootfs_meta_time(t, s);
	json_str(b, t < 0 ? NULL : s);
}

static void json_pkg(struct buf *b, const struct rootfs_pkg *p)
{
	buf_puts(b, "{\"package\":");
	json_str(b, p->name);
	buf_puts(b, ",\"version\":");
	json_str(b, p->version);
	buf_puts(b, ",\"date\":");
	json_time(b, p->date);
	buf_putc(b, '}');
}

void rootfs_meta_json(const struct rootfs_meta *m, struct buf *b)
{
	buf_puts(b, "{\"built\":");
	json_time(b, m->built);
	buf_puts(b, ",\"packages_date\":");
	json_time(b, rootfs_meta_packages_date(m));
	buf_puts(b, ",\"snapshot\":");
	json_str(b, m->snapshot);
	buf_puts(b, ",\"archives\":[");
	for (size_t i = 0; i < m->n_archives; i++) {
		const struct rootfs_archive_rec *a = &m->archives[i];
		buf_puts(b, i ? ",{\"suite\":" : "{\"suite\":");
		json_str(b, a->suite);
		buf_puts(b, ",\"uri\":");
		json_str(b, a->uri);
		buf_puts(b, ",\"inrelease_sha256\":");
		json_str(b, *a->sha256 ? a->sha256 : NULL);
		buf_puts(b, ",\"date\":");
		json_time(b, a->date);
		buf_putc(b, '}');
	}
	buf_puts(b, "],\"security\":");
	if (!m->security_suite) {
		buf_puts(b, "null}");
		return;
	}
	buf_puts(b, "{\"suite\":");
	json_str(b, m->security_suite);
	if (!m->security_known) {
		buf_puts(b, ",\"packages\":null,\"newest\":null,\"updates\":null}}");
		return;
	}
	buf_printf(b, ",\"packages\":%zu,\"newest\":", m->n_security);
	const struct rootfs_pkg *n = rootfs_meta_newest(m);
	if (n)
		json_pkg(b, n);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"updates\":[");
	for (size_t i = 0; i < m->n_security; i++) {
		if (i)
			buf_putc(b, ',');
		json_pkg(b, &m->security[i]);
	}
	buf_puts(b, "]}}");
}

void rootfs_meta_summary(const struct rootfs_meta *m, struct buf *b)
{
	char day[32];
	rootfs_meta_day(rootfs_meta_packages_date(m), day);
	if (!m->security_suite)
		buf_printf(b, "no security archive (the profile opts out: debian.security: false)");
	else if (!m->security_known)
		buf_printf(b, "security updates unknown (%s's index was not captured)", m->security_suite);
	else if (!m->n_security)
		buf_printf(b, "no installed package is at a %s version", m->security_suite);
	else {
		const struct rootfs_pkg *n = rootfs_meta_newest(m);
		buf_printf(b, "%zu installed package%s at a %s version", m->n_security, m->n_security == 1 ? "" : "s",
			   m->security_suite);
		if (n) {
			char d[32];
			rootfs_meta_day(n->date, d);
			buf_printf(b, ", newest %s %s (built %s)", n->name, n->version, d);
		}
	}
	buf_printf(b, "; packages as of %s%s%s", day, m->snapshot ? ", snapshot " : "",
		   m->snapshot ? m->snapshot : "");
}
