/* A MySQL host's backups; see backup.h. */
#include "firstboot/backup.h"
#include "firstboot/run_lock.h"
#include "firstboot/s3.h"
#include "firstboot/status.h"
#include "lib/appliance.h"
#include "lib/backup_object.h"
#include "lib/backup_pitr.h"
#include "lib/s3_objects.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/mysql_local.h"
#include "lib/numparse.h"
#include "lib/rolekey.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include "profiles/backup.h"
#include "profiles/monitoring.h"
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONF_MAX (16u << 10)

void backup_conf_free(struct backup_conf *c)
{
	free(c->host);
	free(c->endpoint);
	free(c->bucket);
	free(c->socket);
	free(c->defaults_file);
	free(c->datadir);
	free(c->region);
	memset(c, 0, sizeof *c);
}

void backup_conf_render(const struct model *m, const struct host *h, struct buf *out)
{
	const struct host *st = backup_store_host(m);
	char a[256];
	buf_puts(out, "# Written by kiln-firstboot from the profile's backup: (docs/backup.md).\n");
	buf_printf(out, "host=%s\n", h->name);
	if (m->backup.s3_endpoint)
		buf_printf(out, "store=s3\nendpoint=%s\nregion=%s\n", m->backup.s3_endpoint, m->backup.s3_region);
	else   /* a MinIO host on DHCP is reached by its name, as the app reaches it */
		buf_printf(out, "endpoint=http://%s:%u\n", st ? monitoring_peer_addr(m, st, a, sizeof a) : "127.0.0.1",
			   BACKUP_S3_PORT);
	buf_printf(out, "bucket=%s\nkeep_days=%u\n", m->backup.bucket, m->backup.keep_days);
	if (m->backup.restore) {
		char t[32];
		backup_target_str(m->backup.restore_to, t);
		buf_printf(out, "restore=%s\n", t);
	}
}

static bool bucket_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n > 63)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			return false;
	return true;
}

static bool abs_path_ok(const char *s)
{
	if (s[0] != '/')
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

int backup_conf_parse(const char *text, size_t len, struct backup_conf *out, const char **why)
{
	memset(out, 0, sizeof *out);
	out->keep_days = 7;
	out->zstd_level = BACKUP_ZSTD_LEVEL_DEFAULT;
	out->zstd_workers = BACKUP_ZSTD_WORKERS_DEFAULT;
	bool have_level = false, have_workers = false, have_store = false;
	*why = NULL;
	if (memchr(text, '\0', len)) {
		*why = "a NUL byte";
		return -EBADMSG;
	}
	_cleanup_free_ char *copy = xstrndup(text, len);
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line && !*why; line = strtok_r(NULL, "\n", &save)) {
		if (!*line || *line == '#')
			continue;
		char *eq = strchr(line, '=');
		if (!eq) {
			*why = "a line without '='";
			break;
		}
		*eq = '\0';
		const char *k = line, *v = eq + 1;
		char **slot = !strcmp(k, "host") ? &out->host : !strcmp(k, "endpoint") ? &out->endpoint
			    : !strcmp(k, "bucket") ? &out->bucket : !strcmp(k, "socket") ? &out->socket
			    : !strcmp(k, "defaults_file") ? &out->defaults_file : !strcmp(k, "datadir") ? &out->datadir
			    : !strcmp(k, "region") ? &out->region : NULL;
		if (!strcmp(k, "restore")) {
			if (out->restore)
				*why = "a key given twice";
			else if (backup_target_parse(v, &out->restore_to) < 0)
				*why = "restore is not latest or YYYY-MM-DDTHH:MM:SSZ";
			else
				out->restore = true;
			continue;
		}
		if (!strcmp(k, "store")) {
			if (have_store)
				*why = "a key given twice";
			else if (strcmp(v, "minio") && strcmp(v, "s3"))
				*why = "store is not minio or s3";
			out->external = !strcmp(v, "s3");
			have_store = true;
			continue;
		}
		if (!strcmp(k, "zstd_level") || !strcmp(k, "zstd_workers")) {
			bool lvl = !strcmp(k, "zstd_level");
			uint64_t num;
			if (lvl ? have_level : have_workers)
				*why = "a key given twice";
			else if (parse_u64(v, 0, lvl ? BACKUP_ZSTD_LEVEL_MAX : 8, &num) < 0)
				*why = lvl ? "zstd_level is not a number from 0 to 19" : "zstd_workers is not a number from 0 to 8";
			else if (lvl)
				out->zstd_level = (int)num;
			else
				out->zstd_workers = (unsigned)num;
			have_level |= lvl;
			have_workers |= !lvl;
			continue;
		}
		if (!strcmp(k, "keep_days")) {
			uint64_t d;
			if (parse_u64(v, 1, 3650, &d) < 0)
				*why = "keep_days is not a number of days from 1 to 3650";
			else
				out->keep_days = (unsigned)d;
			continue;
		}
		if (!slot) {
			*why = "an unknown key";
			break;
		}
		if (*slot) {
			*why = "a key given twice";
			break;
		}
		*slot = xstrdup(v);
	}
	if (!*why && (!out->host || !out->endpoint || !out->bucket))
		*why = "host, endpoint and bucket are required";
	else if (!*why && !backup_name_valid(out->host))
		*why = "host is not a name segment";
	else if (!*why && strchr(out->host, '/'))
		*why = "host is not a name segment";
	else if (!*why && !backup_endpoint_valid(out->endpoint))
		*why = "endpoint is not http(s)://HOST[:PORT]";
	else if (!*why && !bucket_ok(out->bucket))
		*why = "bucket is not an S3 bucket name";
	else if (!*why && out->socket && !abs_path_ok(out->socket))
		*why = "socket is not an absolute path";
	else if (!*why && out->defaults_file && !abs_path_ok(out->defaults_file))
		*why = "defaults_file is not an absolute path";
	else if (!*why && out->datadir && (!abs_path_ok(out->datadir) || !strcmp(out->datadir, "/")))
		*why = "datadir is not an absolute path";
	else if (!*why && out->region && !backup_region_valid(out->region))
		*why = "region is not an S3 region name";
	if (*why) {
		backup_conf_free(out);
		return -EBADMSG;
	}
	if (!out->socket)
		out->socket = xstrdup(BACKUP_SOCKET_DEFAULT);
	if (!out->datadir)
		out->datadir = xstrdup(BACKUP_DATADIR_DEFAULT);
	if (!out->region)
		out->region = xstrdup(BACKUP_S3_REGION_DEFAULT);
	return 0;
}

static void stamp(int64_t t, char out[17])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

int backup_full_name(const char *host, int64_t t, char *out, size_t len)
{
	char s[17];
	stamp(t, s);
	int n = snprintf(out, len, "%s/full/%s.kbk", host, s);
	return n < 0 || (size_t)n >= len || strchr(host, '/') || !backup_name_valid(out) ? -EINVAL : 0;
}

int backup_binlog_name(const char *host, int64_t t, const char *file, char *out, size_t len)
{
	char s[17];
	stamp(t, s);
	int n = snprintf(out, len, "%s/binlog/%s-%s.kbk", host, s, file);
	return n < 0 || (size_t)n >= len || strchr(host, '/') || strchr(file, '/') || !backup_name_valid(out) ? -EINVAL : 0;
}

void binlog_list_free(struct binlog_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->files[i]);
	free(l->files);
	free(l->dir);
	memset(l, 0, sizeof *l);
}

int binlog_list_parse(const char *text, size_t len, struct binlog_list *out)
{
	memset(out, 0, sizeof *out);
	if (memchr(text, '\0', len))
		return -EBADMSG;
	_cleanup_free_ char *copy = xstrndup(text, len);
	char *save = NULL, *line = strtok_r(copy, "\n", &save);
	if (!line)
		return -EBADMSG;
	if (!strcmp(line, "NULL"))
		return -ENOENT;
	char *slash = strrchr(line, '/');
	if (line[0] != '/' || !slash)
		return -EBADMSG;
	out->dir = slash == line ? xstrdup("/") : xstrndup(line, (size_t)(slash - line));
	size_t cap = 0;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *tab = strchr(line, '\t');
		if (tab)
			*tab = '\0';
		/* a file name the server made: [A-Za-z0-9._-], never "." or ".." */
		bool ok = *line && strcmp(line, ".") && strcmp(line, "..");
		for (const char *p = line; ok && *p; p++)
			ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
			     *p == '_' || *p == '-';
		if (!ok) {
			binlog_list_free(out);
			return -EBADMSG;
		}
		out->files = xgrow(out->files, &cap, out->n + 1, sizeof *out->files);
		out->files[out->n++] = xstrdup(line);
	}
	if (!out->n) {
		binlog_list_free(out);
		return -EBADMSG;
	}
	return 0;
}

/* "base.000123" -> base length and 123; false without a numeric extension. */
static bool binlog_seq(const char *f, size_t *base, uint64_t *seq)
{
	const char *dot = strrchr(f, '.');
	if (!dot || !dot[1] || parse_u64(dot + 1, 0, UINT64_MAX, seq) < 0)
		return false;
	*base = (size_t)(dot - f);
	return true;
}

void binlog_pending(const struct binlog_list *l, const char *last, size_t *from, bool *gap)
{
	*from = 0;
	*gap = false;
	size_t lb, fb;
	uint64_t ls, fs;
	bool newer_or_same = false;
	if (!last || !*last || !binlog_seq(last, &lb, &ls))
		return;
	for (size_t i = 0; i < l->n; i++) {
		if (!binlog_seq(l->files[i], &fb, &fs) || fb != lb || strncmp(l->files[i], last, lb))
			continue;   /* another basename: not comparable */
		newer_or_same |= fs >= ls;
		if (fs <= ls)
			*from = i + 1;
		else if (i == 0 && fs > ls + 1)
			*gap = true;
	}
	/* every file older than the last shipped: the server's numbering began
	 * again (a new data directory), so all of them are new */
	if (!newer_or_same)
		*from = 0;
}

/* ---- running ---- */

struct run {
	const char *root;
	struct backup_conf conf;
	uint8_t pk[32];
	char *ak, *sk;
	char why[2048];
};

static char *below(const char *root, const char *abs)
{
	return xasprintf("%s%s", strcmp(root, "/") ? root : "", abs);
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static char *secret_file(struct run *x, const char *name)
{
	_cleanup_free_ char *p = below(x->root, KILN_SECRETS_DIR "/"), *q = xasprintf("%s%s", p, name);
	char *v = NULL;
	size_t len;
	int r = read_input(q, INPUT_NOFOLLOW | INPUT_PRIVATE, 4096, &v, &len);
	if (r < 0) {
		snprintf(x->why, sizeof x->why, "%s %s", q, input_strerror(r));
		return NULL;
	}
	while (len && (v[len - 1] == '\n' || v[len - 1] == '\r'))
		v[--len] = '\0';
	return v;
}

/* The host's backup configuration (KILN_BACKUP_CONF) into x->conf; x->why says what failed. */
static int load_conf(struct run *x)
{
	_cleanup_free_ char *cp = below(x->root, KILN_BACKUP_CONF), *text = NULL;
	size_t len;
	const char *why;
	int r = read_input(cp, INPUT_NOFOLLOW, CONF_MAX, &text, &len);
	if (r < 0) {
		snprintf(x->why, sizeof x->why, "%s %s (does the profile have backup:?)", cp, input_strerror(r));
		return r;
	}
	if (backup_conf_parse(text, len, &x->conf, &why) < 0) {
		snprintf(x->why, sizeof x->why, "%s: %s", cp, why);
		return -EBADMSG;
	}
	return 0;
}

static int run_setup(struct run *x)
{
	_cleanup_free_ char *pp = below(x->root, KILN_BACKUP_PUB), *pub = NULL;
	size_t len;
	int r = load_conf(x);
	if (r < 0)
		return r;
	if ((r = read_input(pp, INPUT_NOFOLLOW, 4096, &pub, &len)) < 0) {
		snprintf(x->why, sizeof x->why, "the operator's backup key: %s %s", pp, input_strerror(r));
		return r;
	}
	if (backup_pub_parse(pub, len, x->pk) < 0) {
		snprintf(x->why, sizeof x->why, "%s is not a kiln backup public key", pp);
		return -EBADMSG;
	}
	if (!(x->ak = secret_file(x, x->conf.external ? "backup_s3_access_key" : "minio_backup_access_key")) ||
	    !(x->sk = secret_file(x, x->conf.external ? "backup_s3_secret_key" : "minio_backup_secret_key")))
		return -ENOKEY;
	return 0;
}

static void run_free(struct run *x)
{
	backup_conf_free(&x->conf);
	wipe_free(x->ak);
	wipe_free(x->sk);
}

/* The last non-empty line of a tool's stderr, printable ASCII only. */
static void last_line(const struct buf *err, char *out, size_t len)
{
	out[0] = '\0';
	if (!err->data || !err->len)
		return;
	size_t e = err->len;
	while (e && (err->data[e - 1] == '\n' || err->data[e - 1] == '\r' || err->data[e - 1] == ' '))
		e--;
	size_t s = e;
	while (s && err->data[s - 1] != '\n')
		s--;
	size_t k = 0;
	for (size_t i = s; i < e && k + 1 < len; i++)
		out[k++] = err->data[i] >= 0x20 && err->data[i] < 0x7f ? err->data[i] : '?';
	out[k] = '\0';
}

/* One object: header, then bytes from feed (a spawned tool or a file),
 * sealed and uploaded as they come. */
struct object {
	struct run *x;
	struct s3_upload *up;
	struct backup_writer *w;
	int error;                  /* the writer's or the upload's first error */
	uint64_t plain;
};

static int object_begin(struct object *o, struct run *x, const char *kind, const char *name, int64_t now)
{
	memset(o, 0, sizeof *o);
	o->x = x;
	struct s3_conn c = { .endpoint = x->conf.endpoint, .region = x->conf.region, .access_key = x->ak,
			     .secret_key = x->sk, .timeout_ms = 30000 };
	int r = s3_upload_begin(&o->up, &c, x->conf.bucket, name, "application/octet-stream", 0);
	if (r < 0) {
		snprintf(x->why, sizeof x->why, "%s: cannot start the upload", name);
		return r;
	}
	struct backup_meta m = { .created = now, .zstd_level = x->conf.zstd_level, .zstd_workers = x->conf.zstd_workers };
	snprintf(m.kind, sizeof m.kind, "%s", kind);
	snprintf(m.name, sizeof m.name, "%s", name);
	if ((r = backup_writer_init(&o->w, x->pk, &m, s3_upload_sink, o->up)) < 0) {
		snprintf(x->why, sizeof x->why, "%s: %s", name, *s3_upload_why(o->up) ? s3_upload_why(o->up) : strerror(-r));
		return o->error = r;
	}
	return 0;
}

static int object_feed(void *ud, const void *data, size_t len)
{
	struct object *o = ud;
	if (o->error)
		return o->error;
	int r = backup_writer_write(o->w, data, len);
	if (r < 0)
		return o->error = r;
	o->plain += len;
	return 0;
}

/* 0 once the object is whole in the bucket; *bytes its size there. */
static int object_finish(struct object *o, const char *name, unsigned long long *bytes)
{
	int r = o->error;
	if (r == 0 && (r = backup_writer_finish(o->w)) == 0)
		r = s3_upload_finish(o->up, bytes);
	if (r < 0 && !o->x->why[0])
		snprintf(o->x->why, sizeof o->x->why, "uploading %s to %s: %s", name, o->x->conf.bucket,
			 *s3_upload_why(o->up) ? s3_upload_why(o->up) : strerror(-r));
	return r;
}

static void object_free(struct object *o)
{
	backup_writer_free(o->w);
	s3_upload_free(o->up);   /* aborts an unfinished upload */
	o->w = NULL;
	o->up = NULL;
}

static void human(unsigned long long n, char *out, size_t len)
{
	if (n < 10240)
		snprintf(out, len, "%llu B", n);
	else if (n < 10ull << 20)
		snprintf(out, len, "%.1f KiB", (double)n / 1024);
	else if (n < 10ull << 30)
		snprintf(out, len, "%.1f MiB", (double)n / (1 << 20));
	else
		snprintf(out, len, "%.1f GiB", (double)n / (1u << 30));
}

/* mariadb-backup / the client as root over the conf's socket, with the
 * conf's defaults file first; *own is to be freed. */
static size_t tool_argv(const struct run *x, const char *tool, const char **argv, char **own)
{
	*own = x->conf.defaults_file ? xasprintf("--defaults-file=%s", x->conf.defaults_file) : NULL;
	return mysql_local_argv(tool, *own, x->conf.socket, argv);
}

static int run_full(struct run *x, char *done, size_t done_len)
{
	int64_t now = (int64_t)time(NULL);
	char name[BACKUP_NAME_MAX + 1];
	if (backup_full_name(x->conf.host, now, name, sizeof name) < 0) {
		snprintf(x->why, sizeof x->why, "no object name for host %s", x->conf.host);
		return -EINVAL;
	}
	struct object o;
	int r = object_begin(&o, x, "mariadb-full", name, now);
	if (r < 0) {
		object_free(&o);
		return r;
	}
	_cleanup_free_ char *own = NULL;
	const char *argv[MYSQL_LOCAL_ARGV_MAX + 2];
	size_t n = tool_argv(x, "mariadb-backup", argv, &own);
	argv[n++] = "--backup";
	argv[n++] = "--stream=xbstream";
	argv[n] = NULL;
	struct buf err;
	buf_init(&err);
	struct spawn_opts so = { .argv = argv, .err = &err, .err_tail = true, .on_data = object_feed, .ud = &o };
	time_t t0 = time(NULL);
	int st = spawn(&so);
	unsigned long long bytes = 0;
	if (o.error) {
		/* the stream was stopped because sealing or uploading failed */
		snprintf(x->why, sizeof x->why, "uploading %s to %s: %s", name, x->conf.bucket,
			 *s3_upload_why(o.up) ? s3_upload_why(o.up) : strerror(-o.error));
		r = o.error;
	} else if (st != 0) {
		char line[300];
		last_line(&err, line, sizeof line);
		if (st == -ENOENT)
			snprintf(x->why, sizeof x->why, "mariadb-backup is not installed");
		else
			snprintf(x->why, sizeof x->why, "mariadb-backup failed (exit %d): %s", st, line);
		r = st < 0 ? st : -EIO;
	} else
		r = object_finish(&o, name, &bytes);
	buf_free(&err);
	object_free(&o);
	if (r < 0)
		return r;
	char h[32];
	human(bytes, h, sizeof h);
	snprintf(done, done_len, "%s, %s in %lld s", name, h, (long long)(time(NULL) - t0));
	return 0;
}

static int read_last(const char *path, char *out, size_t len)
{
	char *t = NULL;
	size_t n;
	out[0] = '\0';
	int r = read_input(path, INPUT_NOFOLLOW, 4096, &t, &n);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	while (n && (t[n - 1] == '\n' || t[n - 1] == '\r'))
		t[--n] = '\0';
	if (n >= len || strchr(t, '/') || strchr(t, '\n')) {
		free(t);
		return -EBADMSG;
	}
	memcpy(out, t, n + 1);
	free(t);
	return 0;
}

static int ship_file(struct run *x, const char *dir, const char *file, int64_t now, unsigned long long *bytes)
{
	char name[BACKUP_NAME_MAX + 1];
	if (backup_binlog_name(x->conf.host, now, file, name, sizeof name) < 0) {
		snprintf(x->why, sizeof x->why, "no object name for binary log %s", file);
		return -EINVAL;
	}
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
	int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(x->why, sizeof x->why, "%s: %s", p, strerror(e));
		return -e;
	}
	struct object o;
	int r = object_begin(&o, x, "binlog", name, now);
	static char chunk[1u << 16];
	while (r == 0) {
		ssize_t k = read(fd, chunk, sizeof chunk);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			snprintf(x->why, sizeof x->why, "reading %s: %s", p, strerror(-r));
		} else if (k == 0)
			break;
		else if ((r = object_feed(&o, chunk, (size_t)k)) < 0)
			snprintf(x->why, sizeof x->why, "uploading %s to %s: %s", name, x->conf.bucket,
				 *s3_upload_why(o.up) ? s3_upload_why(o.up) : strerror(-r));
	}
	close(fd);
	if (r == 0)
		r = object_finish(&o, name, bytes);
	object_free(&o);
	return r;
}

static int run_binlogs(struct run *x, char *done, size_t done_len)
{
	_cleanup_free_ char *own = NULL;
	const char *argv[MYSQL_LOCAL_ARGV_MAX + 2];
	size_t n = tool_argv(x, "mariadb", argv, &own);
	argv[n++] = "--batch";
	argv[n++] = "--skip-column-names";
	argv[n] = NULL;
	static const char sql[] = "SELECT @@log_bin_basename;\n"
				  "FLUSH BINARY LOGS;\n"     /* close the open log: its writes ship now */
				  "SHOW BINARY LOGS;\n";
	struct buf out, err;
	buf_init(&out);
	buf_init(&err);
	int st = spawn_io(argv, sql, sizeof sql - 1, &out, &err, 1u << 20);
	struct binlog_list l = { 0 };
	int r = 0;
	if (st != 0) {
		char line[300];
		last_line(&err, line, sizeof line);
		if (st == -ENOENT)
			snprintf(x->why, sizeof x->why, "the mariadb client is not installed");
		else if (strstr(line, "not using binary logging") || (out.data && !strncmp(out.data, "NULL\n", 5)))
			snprintf(x->why, sizeof x->why, "binary logging is off in MariaDB");
		else
			snprintf(x->why, sizeof x->why, "listing the binary logs failed (exit %d): %s", st, line);
		r = st < 0 ? st : -EIO;
	} else if ((r = binlog_list_parse(out.data ? out.data : "", out.len, &l)) < 0)
		snprintf(x->why, sizeof x->why, r == -ENOENT ? "binary logging is off in MariaDB"
							    : "the server's list of binary logs is not understood");
	buf_free(&out);
	buf_free(&err);
	if (r < 0)
		return r;
	_cleanup_free_ char *sdir = below(x->root, KILN_STATE_DIR);
	_cleanup_free_ char *sp = xasprintf("%s/" KILN_BACKUP_BINLOG_STATE, sdir);
	char last[256];
	if ((r = read_last(sp, last, sizeof last)) < 0) {
		snprintf(x->why, sizeof x->why, "%s %s", sp, r == -EBADMSG ? "is not a binary log's name" : input_strerror(r));
		binlog_list_free(&l);
		return r;
	}
	size_t from;
	bool gap;
	binlog_pending(&l, last, &from, &gap);
	int64_t now = (int64_t)time(NULL);
	unsigned long long total = 0;
	size_t shipped = 0;
	for (size_t i = from; i + 1 < l.n && r == 0; i++) {
		unsigned long long b = 0;
		if ((r = ship_file(x, l.dir, l.files[i], now, &b)) < 0)
			break;
		char line[300];
		int k = snprintf(line, sizeof line, "%s\n", l.files[i]);
		if ((r = mkdir_p(sdir, 0755)) < 0 || (r = write_file_atomic(sp, line, (size_t)k, 0644)) < 0) {
			snprintf(x->why, sizeof x->why, "writing %s: %s", sp, strerror(-r));
			break;
		}
		total += b;
		shipped++;
	}
	if (r == 0 && gap) {
		snprintf(x->why, sizeof x->why, "binary logs after %s were purged before they were shipped (%s is the oldest "
			 "left): the point-in-time chain has a hole until the next full backup", last, l.files[0]);
		r = -ESTALE;
	}
	if (r < 0) {
		binlog_list_free(&l);
		return r;
	}
	char h[32];
	human(total, h, sizeof h);
	if (shipped)
		snprintf(done, done_len, "%zu binary log%s (%s to %s), %s", shipped, shipped == 1 ? "" : "s",
			 l.files[from], l.files[from + shipped - 1], h);
	else
		snprintf(done, done_len, "no closed binary log to ship");
	binlog_list_free(&l);
	return 0;
}

/* The run's end in KILN_BACKUP_STATUS_NAME. */
/* ---- restore at first boot ---- */

bool backup_datadir_fresh(const char *datadir, char *db, size_t db_len)
{
	static const char *const own[] = { "mysql", "performance_schema", "sys", "lost+found", ".kiln-restore", NULL };
	db[0] = '\0';
	DIR *d = opendir(datadir);
	if (!d)
		return true;   /* absent (or unreadable: the restore says so) */
	struct dirent *e;
	bool fresh = true;
	while (fresh && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		_cleanup_free_ char *p = path_join(datadir, e->d_name);
		struct stat st;
		if (lstat(p, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;   /* files: logs, ibdata, aria logs of a fresh server */
		bool mine = false;
		for (size_t i = 0; own[i] && !mine; i++)
			mine = !strcmp(e->d_name, own[i]);
		if (!mine) {
			snprintf(db, db_len, "%s", e->d_name);
			fresh = false;
		}
	}
	closedir(d);
	return fresh;
}

static int chown_tree(const char *path, uid_t uid, gid_t gid)
{
	if (lchown(path, uid, gid) < 0)
		return -errno;
	struct stat st;
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return 0;
	DIR *d = opendir(path);
	if (!d)
		return -errno;
	struct dirent *e;
	int r = 0;
	while (r == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			_cleanup_free_ char *p = path_join(path, e->d_name);
			r = chown_tree(p, uid, gid);
		}
	closedir(d);
	return r;
}

/* Moves every entry of from into to (same filesystem), after removing
 * every entry of to but keep. */
static int swap_in(const char *from, const char *to, const char *keep)
{
	DIR *d = opendir(to);
	if (!d && errno != ENOENT)
		return -errno;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, keep)) {
			_cleanup_free_ char *p = path_join(to, e->d_name);
			rm_rf(p);
		}
	if (d)
		closedir(d);
	int r = mkdir_p(to, 0755);
	if (r < 0)
		return r;
	if (!(d = opendir(from)))
		return -errno;
	r = 0;
	while (r == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			_cleanup_free_ char *a = path_join(from, e->d_name), *b = path_join(to, e->d_name);
			if (rename(a, b) < 0)
				r = -errno;
		}
	closedir(d);
	return r;
}

/* Downloads object key of the bucket into dir/key (0600, directories 0700). */
static int download(struct run *x, const struct s3_target *t, const char *dir, const char *key)
{
	_cleanup_free_ char *p = path_join(dir, key);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	int r = mkdir_p(p, 0700);
	*slash = '/';
	if (r < 0) {
		snprintf(x->why, sizeof x->why, "cannot create the directory of %s: %s", p, strerror(-r));
		return r;
	}
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(x->why, sizeof x->why, "cannot write %s: %s", p, strerror(errno));
		return -errno;
	}
	char why[1024] = "";
	uint64_t bytes = 0;
	if ((r = s3_get_to_fd(t, key, fd, &bytes, why, sizeof why)) < 0) {
		snprintf(x->why, sizeof x->why, "downloading %s from %s: %s", key, t->bucket, why);
		return r;
	}
	return 0;
}

static void wipe_secret(const char *root, const char *name)
{
	_cleanup_free_ char *p = below(root, KILN_SECRETS_DIR "/"), *q = xasprintf("%s%s", p, name);
	if (unlink(q) < 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", q, strerror(errno));
}

static int run_restore(struct run *x, char *done, size_t done_len)
{
	size_t len;
	int r = load_conf(x);
	if (r < 0)
		return r;
	if (!x->conf.restore) {
		snprintf(x->why, sizeof x->why, "%s has no restore= (the profile's backup.restore)",
			 KILN_BACKUP_CONF);
		return -EINVAL;
	}
	char to[32];
	backup_target_str(x->conf.restore_to, to);
	_cleanup_free_ char *sd = below(x->root, KILN_STATE_DIR);
	_cleanup_free_ char *marker = xasprintf("%s/" KILN_BACKUP_RESTORE_DONE, sd);
	_cleanup_free_ char *datadir = below(x->root, x->conf.datadir);
	_cleanup_free_ char *prev = NULL;
	if (read_input(marker, INPUT_NOFOLLOW, 4096, &prev, &len) == 0) {
		while (len && prev[len - 1] == '\n')
			prev[--len] = '\0';
		snprintf(done, done_len, "not again: %s", prev);
		return 0;
	}
	char db[256];
	if (!backup_datadir_fresh(datadir, db, sizeof db)) {
		/* a data disk that survived: its data is newer than any backup */
		snprintf(done, done_len, "not restored: %s already holds database %s", x->conf.datadir, db);
		return write_file_atomic(marker, done, strlen(done), 0644);
	}
	/* the keys: the reader's to list and get, the operator's backup key to open */
	_cleanup_free_ char *kt = secret_file(x, KILN_BACKUP_KEY_SECRET);
	if (!kt)
		return -ENOKEY;
	struct role_keypair *key = NULL;
	if (backup_key_parse(kt, strlen(kt), &key) < 0) {
		snprintf(x->why, sizeof x->why, "the secret " KILN_BACKUP_KEY_SECRET " is not a kiln backup secret key");
		explicit_bzero(kt, strlen(kt));
		return -EBADMSG;
	}
	explicit_bzero(kt, strlen(kt));
	const char *rak = x->conf.external ? "backup_s3_reader_access_key" : "minio_backup_reader_access_key";
	const char *rsk = x->conf.external ? "backup_s3_reader_secret_key" : "minio_backup_reader_secret_key";
	if (!(x->ak = secret_file(x, rak)) || !(x->sk = secret_file(x, rsk))) {
		role_keypair_free(key);
		return -ENOKEY;
	}
	struct s3_target t = { .endpoint = x->conf.endpoint, .access_key = x->ak, .secret_key = x->sk,
			       .bucket = x->conf.bucket, .region = x->conf.region };
	_cleanup_free_ char *work = path_join(datadir, ".kiln-restore");
	_cleanup_free_ char *objs = path_join(work, "objects"), *pw = path_join(work, "pitr"), *nd = path_join(work, "data");
	_cleanup_free_ char *prefix = xasprintf("%s/", x->conf.host);
	char **keys = NULL;
	size_t nk = 0;
	struct pitr_plan p = { 0 };
	char lwhy[1024] = "";
	rm_rf(work);   /* what a failed attempt left */
	if ((r = mkdir_p(datadir, 0755)) < 0 || (r = mkdir_p(work, 0700)) < 0 || chmod(work, 0700) < 0) {
		snprintf(x->why, sizeof x->why, "cannot create %s: %s", work, strerror(r < 0 ? -r : errno));
		r = r < 0 ? r : -errno;
		goto out;
	}
	log_info("backup-restore: listing %s/%s in %s", x->conf.bucket, prefix, x->conf.endpoint);
	if ((r = s3_list_keys(&t, prefix, &keys, &nk, lwhy, sizeof lwhy)) < 0) {
		snprintf(x->why, sizeof x->why, "listing %s in %s: %s", prefix, x->conf.bucket, lwhy);
		goto out;
	}
	if ((r = backup_pitr_plan(keys, nk, x->conf.host, x->conf.restore_to, &p, x->why, sizeof x->why)) < 0)
		goto out;
	if ((r = download(x, &t, objs, p.full)) < 0)
		goto out;
	for (size_t i = 0; i < p.n_binlogs; i++)
		if ((r = download(x, &t, objs, p.binlogs[i])) < 0)
			goto out;
	{
		struct pitr_run pr = { .dir = objs, .work = pw, .datadir = nd, .host = x->conf.host, .key = key,
				       .target = x->conf.restore_to };
		r = backup_pitr_prepare(&pr);
		if (r == 0)
			r = backup_pitr_replay_temp(&pr);
		if (r < 0) {
			snprintf(x->why, sizeof x->why, "%.2000s", pr.why);
			goto out;
		}
		if (pr.n_replayed)
			snprintf(done, done_len, "restored to %s: %.400s, then %zu binary log%s to %.400s", to, pr.full, pr.n_replayed,
				 pr.n_replayed == 1 ? "" : "s", pr.last_binlog);
		else
			snprintf(done, done_len, "restored to %s: %.400s (no binary logs after it)", to, pr.full);
	}
	/* the server stops before its data directory changes under it */
	if (!strcmp(x->root, "/")) {
		const char *stop[] = { "systemctl", "stop", "mariadb.service", NULL };
		struct buf err;
		buf_init(&err);
		int st = spawn_capture(stop, NULL, &err, 0);
		buf_free(&err);
		if (st != 0) {
			snprintf(x->why, sizeof x->why, "systemctl stop mariadb.service failed (%d)", st);
			r = -EIO;
			goto out;
		}
	}
	if ((r = swap_in(nd, datadir, ".kiln-restore")) < 0) {
		snprintf(x->why, sizeof x->why, "moving the restored data into %s: %s", datadir, strerror(-r));
		goto out;
	}
	struct passwd *pwd = getpwnam("mysql");
	if (pwd && geteuid() == 0 && (r = chown_tree(datadir, pwd->pw_uid, pwd->pw_gid)) < 0) {
		snprintf(x->why, sizeof x->why, "chown mysql of %s: %s", datadir, strerror(-r));
		goto out;
	}
	r = mkdir_p(sd, 0755);
	if (r == 0)
		r = write_file_atomic(marker, done, strlen(done), 0644);
	if (r < 0)
		snprintf(x->why, sizeof x->why, "writing %s: %s", marker, strerror(-r));
out:
	rm_rf(work);
	s3_keys_free(keys, nk);
	backup_pitr_plan_free(&p);
	role_keypair_free(key);
	if (r == 0) {
		/* done with them: nothing on this host opens a backup any more */
		wipe_secret(x->root, KILN_BACKUP_KEY_SECRET);
		wipe_secret(x->root, rak);
		wipe_secret(x->root, rsk);
	}
	return r;
}

static int record(const char *root, const char *step, int r, const char *text)
{
	_cleanup_free_ char *dir = below(root, KILN_STATE_DIR);
	_cleanup_free_ char *p = xasprintf("%s/" KILN_BACKUP_STATUS_NAME, dir);
	_cleanup_free_ char *lp = xasprintf("%s/.backup.lock", dir);
	struct status s;
	int e = mkdir_p(dir, 0755);
	/* full and binlogs runs may end at once: one read-change-write at a time */
	int lock = e == 0 ? open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644) : -1;
	if (lock >= 0)
		while (flock(lock, LOCK_EX) < 0 && errno == EINTR)
			;
	e = status_load(p, &s);
	if (e < 0) {
		log_warn("%s is unreadable (%s): starting it afresh", p, strerror(-e));
		memset(&s, 0, sizeof s);
	}
	status_set(&s, step, r < 0 ? STEP_FAILED : STEP_DONE, "%s", text);
	e = status_save(p, &s);
	if (e < 0)
		log_error_errno(e, "writing %s", p);
	status_free(&s);
	if (lock >= 0)
		close(lock);
	return e;
}

/* One run of a kind at a time (a timer's and one started by hand): two
 * binary-log runs at once could ship a log twice or lose the state. The
 * lock is held until the process ends; its fd is returned. */
static int run_lock(const char *root, const char *step)
{
	_cleanup_free_ char *dir = below(root, KILN_STATE_DIR);
	_cleanup_free_ char *name = xasprintf(".%s.lock", step);
	return state_lock_take(dir, name, false, step);
}

int backup_run(const char *root, enum backup_kind kind)
{
	const char *step = kind == BACKUP_RUN_FULL ? "backup-full" : kind == BACKUP_RUN_BINLOGS ? "backup-binlogs"
			 : "backup-restore";
	struct run x = { .root = root };
	char done[2048] = "";
	int lock = run_lock(root, step);
	if (lock < 0)
		return lock;   /* not recorded: the run that holds it will record its own end */
	int r = kind == BACKUP_RUN_RESTORE ? run_restore(&x, done, sizeof done) : run_setup(&x);
	if (r == 0 && kind != BACKUP_RUN_RESTORE)
		r = kind == BACKUP_RUN_FULL ? run_full(&x, done, sizeof done) : run_binlogs(&x, done, sizeof done);
	if (r < 0) {
		log_error("%s failed: %s", step, x.why[0] ? x.why : strerror(-r));
		record(root, step, r, x.why[0] ? x.why : strerror(-r));
	} else {
		log_info("%s: %s", step, done);
		r = record(root, step, 0, done);
	}
	run_free(&x);
	close(lock);
	return r;
}
