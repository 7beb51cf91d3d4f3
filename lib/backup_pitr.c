/* Point-in-time restore; see backup_pitr.h. */
#include "lib/backup_pitr.h"
#include "lib/backup_local.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/mysql_local.h"
#include "lib/numparse.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* "YYYYMMDDTHHMMSSZ" (exactly 16 bytes at s) -> unix seconds */
static bool stamp_parse(const char *s, int64_t *t)
{
	for (int i = 0; i < 16; i++) {
		bool digit = s[i] >= '0' && s[i] <= '9';
		if ((i == 8 && s[i] != 'T') || (i == 15 && s[i] != 'Z') || (i != 8 && i != 15 && !digit))
			return false;
	}
	char buf[17];
	memcpy(buf, s, 16);
	buf[16] = '\0';
	struct tm tm = { 0 };
	const char *end = strptime(buf, "%Y%m%dT%H%M%SZ", &tm);
	if (!end || *end || tm.tm_year < 70)
		return false;   /* before 1970: no backup was made then */
	struct tm copy = tm;
	time_t tt = timegm(&tm);
	/* timegm normalises 20261332 into 2027: refuse what it had to move */
	if (tm.tm_mday != copy.tm_mday || tm.tm_mon != copy.tm_mon || tm.tm_hour != copy.tm_hour ||
	    tm.tm_min != copy.tm_min || tm.tm_sec != copy.tm_sec)
		return false;
	*t = (int64_t)tt;
	return true;
}

int backup_name_info_parse(const char *name, struct backup_name_info *out)
{
	memset(out, 0, sizeof *out);
	if (!name || !backup_name_valid(name))
		return -EINVAL;
	const char *s1 = strchr(name, '/');
	if (!s1 || (size_t)(s1 - name) >= sizeof out->host)
		return -EINVAL;
	const char *rest = s1 + 1;
	size_t n = strlen(rest), sl = strlen(BACKUP_SUFFIX);
	if (n < sl || strcmp(rest + n - sl, BACKUP_SUFFIX))
		return -EINVAL;
	if (!strncmp(rest, "full/", 5)) {
		/* full/STAMP.kbk */
		if (n != 5 + 16 + sl || !stamp_parse(rest + 5, &out->stamp))
			return -EINVAL;
		out->full = true;
	} else if (!strncmp(rest, "binlog/", 7)) {
		/* binlog/STAMP-FILE.kbk */
		const char *s = rest + 7;
		size_t fl;
		if (n < 7 + 16 + 1 + 1 + sl || s[16] != '-' || !stamp_parse(s, &out->stamp))
			return -EINVAL;
		fl = n - 7 - 17 - sl;
		if (fl > PITR_FILE_MAX || memchr(s + 17, '/', fl))
			return -EINVAL;
		memcpy(out->file, s + 17, fl);
		out->file[fl] = '\0';
	} else
		return -EINVAL;
	memcpy(out->host, name, (size_t)(s1 - name));
	return 0;
}

int backup_target_parse(const char *s, int64_t *t)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "latest")) {
		*t = PITR_LATEST;
		return 0;
	}
	/* YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD HH:MM:SS: 20 or 19 bytes */
	size_t n = strlen(s);
	if (n != 19 && n != 20)
		return -EINVAL;
	if (n == 20 && (s[10] != 'T' || s[19] != 'Z'))
		return -EINVAL;
	if (n == 19 && s[10] != ' ')
		return -EINVAL;
	char st[17];
	/* to the object names' stamp form, checking each separator */
	static const char pat[] = "dddd-dd-ddXdd:dd:dd";
	size_t k = 0;
	for (size_t i = 0; i < 19; i++) {
		if (pat[i] == 'd') {
			if (s[i] < '0' || s[i] > '9')
				return -EINVAL;
			st[k++] = s[i];
		} else if (pat[i] == 'X')
			st[k++] = 'T';
		else if (s[i] != pat[i])
			return -EINVAL;
	}
	st[k++] = 'Z';
	st[k] = '\0';
	return stamp_parse(st, t) ? 0 : -EINVAL;
}

void backup_target_str(int64_t t, char out[32])
{
	if (t == PITR_LATEST) {
		snprintf(out, 32, "latest");
		return;
	}
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "@%" PRId64, t);
}

void backup_pitr_plan_free(struct pitr_plan *p)
{
	free(p->full);
	for (size_t i = 0; i < p->n_binlogs; i++) {
		free(p->binlogs[i]);
		free(p->binlog_files[i]);
	}
	free(p->binlogs);
	free(p->binlog_files);
	free(p->binlog_stamps);
	memset(p, 0, sizeof *p);
}

/* "base.000123" -> base length and 123 */
static bool file_seq(const char *f, size_t *base, uint64_t *seq)
{
	const char *dot = strrchr(f, '.');
	if (!dot || !dot[1] || parse_u64(dot + 1, 0, UINT64_MAX, seq) < 0)
		return false;
	*base = (size_t)(dot - f);
	return true;
}

struct cand {
	const char *name;
	int64_t stamp;
	char file[PITR_FILE_MAX + 1];
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->stamp != y->stamp)
		return x->stamp < y->stamp ? -1 : 1;
	size_t xb, yb;
	uint64_t xs, ys;
	if (file_seq(x->file, &xb, &xs) && file_seq(y->file, &yb, &ys) && xb == yb && !strncmp(x->file, y->file, xb) &&
	    xs != ys)
		return xs < ys ? -1 : 1;
	return strcmp(x->file, y->file);
}

int backup_pitr_plan(char *const *names, size_t n, const char *host, int64_t target, struct pitr_plan *p, char *why,
		     size_t why_len)
{
	memset(p, 0, sizeof *p);
	const char *full = NULL;
	int64_t full_stamp = 0, oldest = INT64_MAX;
	struct backup_name_info ni;
	for (size_t i = 0; i < n; i++) {
		if (backup_name_info_parse(names[i], &ni) < 0 || strcmp(ni.host, host) || !ni.full)
			continue;
		if (ni.stamp < oldest)
			oldest = ni.stamp;
		if (ni.stamp <= target && (!full || ni.stamp > full_stamp)) {
			full = names[i];
			full_stamp = ni.stamp;
		}
	}
	if (!full) {
		char t[32], o[32];
		backup_target_str(target, t);
		backup_target_str(oldest, o);
		if (oldest == INT64_MAX)
			snprintf(why, why_len, "there is no full backup of %s", host);
		else
			snprintf(why, why_len, "there is no full backup of %s at or before %s (the oldest is from %s)", host, t, o);
		return -ENOENT;
	}
	struct cand *c = NULL;
	size_t nc = 0, cap = 0;
	for (size_t i = 0; i < n; i++) {
		if (backup_name_info_parse(names[i], &ni) < 0 || strcmp(ni.host, host) || ni.full || ni.stamp < full_stamp)
			continue;
		c = xgrow(c, &cap, nc + 1, sizeof *c);
		c[nc].name = names[i];
		c[nc].stamp = ni.stamp;
		memcpy(c[nc].file, ni.file, sizeof ni.file);
		nc++;
	}
	if (nc)
		qsort(c, nc, sizeof *c, cand_cmp);
	p->full = xstrdup(full);
	p->full_stamp = full_stamp;
	p->binlogs = xcalloc(nc ? nc : 1, sizeof *p->binlogs);
	p->binlog_files = xcalloc(nc ? nc : 1, sizeof *p->binlog_files);
	p->binlog_stamps = xcalloc(nc ? nc : 1, sizeof *p->binlog_stamps);
	for (size_t i = 0; i < nc; i++) {
		p->binlogs[i] = xstrdup(c[i].name);
		p->binlog_files[i] = xstrdup(c[i].file);
		p->binlog_stamps[i] = c[i].stamp;
	}
	p->n_binlogs = nc;
	free(c);
	return 0;
}

int backup_prune_plan(char *const *names, size_t n, const char *host, int64_t now, unsigned keep_days, bool *del,
		      size_t *n_del, char *why, size_t why_len)
{
	*n_del = 0;
	for (size_t i = 0; i < n; i++)
		del[i] = false;
	int64_t cutoff = now - (int64_t)keep_days * 86400;
	bool have = false, have_old = false;
	int64_t base = 0, oldest = 0;
	struct backup_name_info ni;
	for (size_t i = 0; i < n; i++) {
		if (backup_name_info_parse(names[i], &ni) < 0 || strcmp(ni.host, host) || !ni.full)
			continue;
		if (!have || ni.stamp < oldest)
			oldest = ni.stamp;
		have = true;
		if (ni.stamp <= cutoff && (!have_old || ni.stamp > base)) {
			base = ni.stamp;
			have_old = true;
		}
	}
	if (!have) {
		snprintf(why, why_len, "there is no full backup of %s: nothing of it is pruned", host);
		return -ENOENT;
	}
	if (!have_old)
		base = oldest;
	for (size_t i = 0; i < n; i++) {
		if (backup_name_info_parse(names[i], &ni) < 0 || strcmp(ni.host, host))
			continue;
		if (ni.stamp < base && ni.stamp < cutoff) {
			del[i] = true;
			(*n_del)++;
		}
	}
	return 0;
}

int backup_binlog_info_parse(const char *text, size_t len, char file[PITR_FILE_MAX + 1], uint64_t *pos)
{
	if (!len || memchr(text, '\0', len))
		return -EBADMSG;
	_cleanup_free_ char *copy = xstrndup(text, len);
	char *nl = strchr(copy, '\n');
	if (nl) {
		if (nl[1])
			return -EBADMSG;   /* one line */
		*nl = '\0';
	}
	char *tab = strchr(copy, '\t');
	if (!tab)
		return -EBADMSG;
	*tab = '\0';
	char *p = tab + 1, *tab2 = strchr(p, '\t');
	if (tab2)
		*tab2 = '\0';
	size_t fl = strlen(copy);
	size_t b;
	uint64_t s;
	if (!fl || fl > PITR_FILE_MAX || !file_seq(copy, &b, &s) || parse_u64(p, 4, UINT64_MAX, pos) < 0)
		return -EBADMSG;
	for (const char *q = copy; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '.' ||
		      *q == '_' || *q == '-'))
			return -EBADMSG;
	memcpy(file, copy, fl + 1);
	return 0;
}

char *backup_binlog_info_path(const char *dir)
{
	char *p = path_join(dir, "mariadb_backup_binlog_info");
	if (access(p, F_OK) == 0)
		return p;
	free(p);
	return path_join(dir, "xtrabackup_binlog_info");
}

int backup_pitr_chain(const struct pitr_plan *p, const char *file, int64_t target, size_t *from, size_t *to, char *why,
		      size_t why_len)
{
	*from = *to = 0;
	if (!p->n_binlogs)
		return 0;
	size_t i = 0;
	while (i < p->n_binlogs && strcmp(p->binlog_files[i], file))
		i++;
	if (i == p->n_binlogs) {
		snprintf(why, why_len, "the binary log %s the full backup %s stands at was never shipped (purged before "
				       "it was?): its binary logs cannot be applied; restore to the full backup's time, or "
				       "from a later full backup", file, p->full);
		return -ENOENT;
	}
	*from = i;
	size_t b0, b;
	uint64_t s0, s;
	if (!file_seq(file, &b0, &s0)) {
		snprintf(why, why_len, "%s is not a numbered binary log", file);
		return -EBADMSG;
	}
	size_t j = i;
	for (;;) {
		bool after = p->binlog_stamps[j] > target;
		j++;
		/* a log shipped after the target holds all of the target's events */
		if (after || j == p->n_binlogs)
			break;
		const char *f = p->binlog_files[j];
		if (!file_seq(f, &b, &s) || b != b0 || strncmp(f, file, b0) || s != s0 + (j - i)) {
			char want[PITR_FILE_MAX + 32];
			snprintf(want, sizeof want, "%.*s.%0*" PRIu64, (int)b0, file, (int)(strlen(file) - b0 - 1),
				 s0 + (j - i));
			snprintf(why, why_len, "the chain of binary logs after %s has a hole: %s was not shipped (%s follows)",
				 p->binlogs[j - 1], want, p->binlogs[j]);
			return -EBADMSG;
		}
	}
	*to = j;
	return 0;
}

/* ---- doing it ---- */

static void last_line(const struct buf *err, char *out, size_t len)
{
	size_t n = err->len;
	while (n && (err->data[n - 1] == '\n' || err->data[n - 1] == '\r'))
		n--;
	size_t s = n;
	while (s && err->data[s - 1] != '\n')
		s--;
	snprintf(out, len, "%.*s", (int)(n - s > 300 ? 300 : n - s), err->data + s);
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = (unsigned char)*c < 0x20 ? ' ' : '?';   /* one line of printable ASCII: it goes to status */
}

/* A tool's status st (spawn's) as a result: on failure *why = "WHAT failed
 * (exit N): the last line of err" */
static int tool_failed(struct pitr_run *x, const char *what, const char *argv0, int st, const struct buf *err)
{
	if (st == -ENOENT)
		snprintf(x->why, sizeof x->why, "%s is not installed", argv0);
	else if (st != 0) {
		char line[320];
		last_line(err, line, sizeof line);
		snprintf(x->why, sizeof x->why, "%s failed (exit %d): %s", what, st, line);
	}
	return st == 0 ? 0 : st < 0 ? st : -EIO;
}

/* Runs a tool; on failure *why = "WHAT failed (exit N): its last line". */
static int tool(struct pitr_run *x, const char *what, const char *const *argv, const char *in_path,
		const char *const *env)
{
	if (in_path && access(in_path, R_OK) < 0) {
		snprintf(x->why, sizeof x->why, "%s: cannot read %s: %s", what, in_path, strerror(errno));
		return -errno;
	}
	struct buf err;
	buf_init(&err);
	struct spawn_opts so = { .argv = argv, .err = &err, .err_tail = true, .in_path = in_path, .env_set = env };
	int r = tool_failed(x, what, argv[0], spawn(&so), &err);
	buf_free(&err);
	return r;
}

static int open_object(struct pitr_run *x, const char *name, int *fd)
{
	int r = backup_dir_open(x->dir, name, fd);
	if (r < 0)
		snprintf(x->why, sizeof x->why, "cannot open %s in %s: %s", name, x->dir, strerror(-r));
	return r;
}

/* r of a failed decryption of object name into out, as *why */
static int refused(struct pitr_run *x, const char *name, const char *out, int r, enum backup_side at)
{
	if (at == BACKUP_AT_OUTPUT)
		snprintf(x->why, sizeof x->why, "cannot write %s: %s", out, strerror(-r));
	else
		snprintf(x->why, sizeof x->why, "%s: refused: %s; nothing of this restore was used", name, backup_strerror(r));
	return r;
}

/* Decrypts object name of dir into work/out: whole and authenticated, or nothing. */
static int decrypt(struct pitr_run *x, const char *name, const char *out)
{
	_cleanup_close_ int fd = -1;
	int r = open_object(x, name, &fd);
	if (r < 0)
		return r;
	struct backup_meta m;
	uint64_t bytes;
	enum backup_side at;
	r = backup_restore_fd(fd, name, x->key, out, &m, &bytes, &at);
	return r < 0 ? refused(x, name, out, r, at) : 0;
}

/* The full backup name decrypted straight into mbstream -x, extracting into
 * a private directory that becomes x->datadir only once the whole object
 * authenticated and mbstream exited 0 (backup_extract_fd) */
static int extract_full(struct pitr_run *x, const char *name)
{
	_cleanup_close_ int fd = -1;
	int r = open_object(x, name, &fd);
	if (r < 0)
		return r;
	const char *const *mb = backup_mbstream_extract;
	struct backup_meta m;
	uint64_t bytes;
	enum backup_side at;
	int st;
	struct buf err;
	buf_init(&err);
	r = backup_extract_fd(fd, name, x->key, mb, x->datadir, &m, &bytes, &at, &st, &err);
	if (r == -EPIPE && at == BACKUP_AT_PROGRAM)
		snprintf(x->why, sizeof x->why, "mbstream -x stopped reading %s before its end", name);
	else if (r < 0 && at == BACKUP_AT_PROGRAM)
		tool_failed(x, "mbstream -x (extracting the full backup)", mb[0], st > 0 ? st : r, &err);
	else if (r < 0)
		refused(x, name, x->datadir, r, at);
	buf_free(&err);
	return r;
}

static bool dir_empty_or_absent(const char *path, int *err)
{
	DIR *d = opendir(path);
	if (!d) {
		*err = errno;
		return errno == ENOENT;
	}
	struct dirent *e;
	bool empty = true;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	*err = 0;
	return empty;
}

/* Removes what is in dir (it was empty or absent before the restore). */
static void empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			_cleanup_free_ char *p = path_join(dir, e->d_name);
			rm_rf(p);
		}
	closedir(d);
}

int backup_pitr_prepare(struct pitr_run *x)
{
	int r, err;
	bool made = false;
	x->why[0] = x->full[0] = x->last_binlog[0] = x->sql[0] = x->start_file[0] = '\0';
	x->n_replayed = 0;
	if (!dir_empty_or_absent(x->datadir, &err)) {
		snprintf(x->why, sizeof x->why, "%s %s", x->datadir,
			 err ? strerror(err) : "is not empty: a restore goes into a new or empty directory");
		return err ? -err : -EEXIST;
	}
	/* the plan, from the objects' names */
	struct backup_entry *e = NULL;
	size_t ne = 0;
	r = backup_dir_list(x->dir, &e, &ne);
	if (r < 0) {
		snprintf(x->why, sizeof x->why, "cannot read the backup directory %s: %s", x->dir, strerror(-r));
		return r;
	}
	char **names = xcalloc(ne ? ne : 1, sizeof *names);
	for (size_t i = 0; i < ne; i++)
		names[i] = e[i].name;
	struct pitr_plan p;
	r = backup_pitr_plan(names, ne, x->host, x->target, &p, x->why, sizeof x->why);
	free(names);
	backup_entries_free(e, ne);
	if (r < 0)
		return r;
	snprintf(x->full, sizeof x->full, "%s", p.full);

	/* work: private, new */
	if (mkdir(x->work, 0700) < 0) {
		r = -errno;
		snprintf(x->why, sizeof x->why, "cannot create %s: %s", x->work, strerror(errno));
		backup_pitr_plan_free(&p);
		return r;
	}
	_cleanup_free_ char *bl = path_join(x->work, "binlog");
	if (mkdir(bl, 0700) < 0) {
		r = -errno;
		snprintf(x->why, sizeof x->why, "cannot create %s: %s", bl, strerror(errno));
		goto out;
	}
	/* 1.+2. the full backup extracted as it is decrypted, into a directory
	 * that is datadir only if all of it authenticated: it says where in the
	 * binary logs it stands */
	log_info("restore of %s: full backup %s", x->host, p.full);
	if ((r = extract_full(x, p.full)) < 0)
		goto out;
	made = true;
	{
		_cleanup_free_ char *info = backup_binlog_info_path(x->datadir), *text = NULL;
		size_t len = 0;
		r = read_file(info, 4096, &text, &len);
		if (r < 0 || backup_binlog_info_parse(text, len, x->start_file, &x->start_pos) < 0) {
			snprintf(x->why, sizeof x->why, "%s: %s", info,
				 r < 0 ? strerror(-r) : "not a binary-log position (FILE<TAB>POSITION)");
			r = r < 0 ? r : -EBADMSG;
			goto out;
		}
	}
	size_t from, to;
	if ((r = backup_pitr_chain(&p, x->start_file, x->target, &from, &to, x->why, sizeof x->why)) < 0)
		goto out;
	/* the binary logs of the chain, each authenticated whole before any is used */
	for (size_t i = from; i < to; i++) {
		_cleanup_free_ char *f = path_join(bl, p.binlog_files[i]);
		if ((r = decrypt(x, p.binlogs[i], f)) < 0)
			goto out;
	}
	{
		_cleanup_free_ char *target = xasprintf("--target-dir=%s", x->datadir);
		const char *prep[] = { "mariadb-backup", "--prepare", target, NULL };
		log_info("restore of %s: preparing the data directory %s", x->host, x->datadir);
		if ((r = tool(x, "mariadb-backup --prepare", prep, NULL, NULL)) < 0)
			goto out;
	}
	/* 3. the binary logs from the backup's position to the target, as SQL */
	snprintf(x->sql, sizeof x->sql, "%s/replay.sql", x->work);
	x->n_replayed = to - from;
	if (to == from) {
		/* nothing to replay: an empty file */
		r = write_file_atomic(x->sql, "", 0, 0600);
		if (r < 0)
			snprintf(x->why, sizeof x->why, "cannot write %s: %s", x->sql, strerror(-r));
		goto out;
	}
	snprintf(x->last_binlog, sizeof x->last_binlog, "%s", p.binlogs[to - 1]);
	{
		size_t na = 0;
		const char **argv = xcalloc(to - from + 8, sizeof *argv);
		char *own[3] = { NULL, NULL, NULL };
		argv[na++] = "mariadb-binlog";
		argv[na++] = own[0] = xasprintf("--start-position=%" PRIu64, x->start_pos);
		if (x->target != PITR_LATEST) {
			/* every event of the target's second, none after (event times are whole seconds) */
			time_t stop = (time_t)x->target + 1;
			struct tm tm;
			char s[32];
			gmtime_r(&stop, &tm);
			strftime(s, sizeof s, "%Y-%m-%d %H:%M:%S", &tm);
			argv[na++] = own[1] = xasprintf("--stop-datetime=%s", s);
		}
		argv[na++] = own[2] = xasprintf("--result-file=%s", x->sql);
		_cleanup_free_ char **paths = xcalloc(to - from, sizeof *paths);
		for (size_t i = from; i < to; i++)
			argv[na++] = paths[i - from] = path_join(bl, p.binlog_files[i]);
		argv[na] = NULL;
		/* --stop-datetime is read in the local time zone: UTC */
		const char *env[] = { "TZ=UTC", NULL };
		mode_t old = umask(077);
		log_info("restore of %s: %zu binary log%s from %s position %" PRIu64 " (to %s)", x->host, to - from,
			 to - from == 1 ? "" : "s", x->start_file, x->start_pos, p.binlogs[to - 1]);
		r = tool(x, "mariadb-binlog", argv, NULL, env);
		umask(old);
		for (size_t i = 0; i < to - from; i++)
			free(paths[i]);
		for (int i = 0; i < 3; i++)
			free(own[i]);
		free(argv);
	}
out:
	backup_pitr_plan_free(&p);
	if (r < 0 && made)
		empty_dir(x->datadir);   /* nothing of a failed restore is left to be taken for data */
	return r;
}

int backup_pitr_replay(struct pitr_run *x, const char *const *client_argv)
{
	if (!x->n_replayed)
		return 0;
	return tool(x, "replaying the binary logs", client_argv, x->sql, NULL);
}

/* mariadbd's last error line, for a server that would not start */
static void last_file_line(const char *work, char *why, size_t len)
{
	_cleanup_free_ char *p = path_join(work, "mysqld.err"), *t = NULL;
	size_t n = 0;
	char line[320] = "";
	if (read_file(p, 1u << 20, &t, &n) == 0) {
		struct buf b = { .data = t, .len = n };
		last_line(&b, line, sizeof line);
	}
	snprintf(why, len, "mariadbd on the restored data directory stopped at once: %s", line);
}

/* A MariaDB server on the restored data directory for the replay only: no
 * network, no binary log, a socket in the private work directory, no grant
 * checks until the replay's client turns them on (FLUSH PRIVILEGES), so it
 * needs no password and no root. */
static int temp_server(struct pitr_run *x, const char *datadir, const char *work, pid_t *pid)
{
	_cleanup_free_ char *sock = path_join(work, "mysqld.sock");
	_cleanup_free_ char *d = xasprintf("--datadir=%s", datadir), *s = xasprintf("--socket=%s", sock);
	_cleanup_free_ char *p = xasprintf("--pid-file=%s/mysqld.pid", work), *e = xasprintf("--log-error=%s/mysqld.err", work);
	const char *argv[12];
	size_t n = 0;
	argv[n++] = "mariadbd";
	argv[n++] = "--no-defaults";
	if (geteuid() == 0)
		argv[n++] = "--user=root";
	argv[n++] = d;
	argv[n++] = s;
	argv[n++] = p;
	argv[n++] = e;
	argv[n++] = "--skip-networking";
	argv[n++] = "--skip-log-bin";
	argv[n++] = "--skip-grant-tables";
	argv[n] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	int r = posix_spawnp(pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r == ENOENT) {
		snprintf(x->why, sizeof x->why, "mariadbd is not installed: the binary logs are replayed into a MariaDB "
						"server on the restored data directory (install mariadb-server)");
		return -ENOENT;
	}
	if (r) {
		snprintf(x->why, sizeof x->why, "cannot start mariadbd: %s", strerror(r));
		return -r;
	}
	const char *ping[MYSQL_LOCAL_ARGV_MAX + 1];
	size_t np = mysql_local_argv("mariadb-admin", "--no-defaults", sock, ping);
	ping[np++] = "ping";
	ping[np] = NULL;
	for (int i = 0; i < 600; i++) {
		int st;
		if (waitpid(*pid, &st, WNOHANG) == *pid) {
			*pid = -1;
			last_file_line(work, x->why, sizeof x->why);
			return -EIO;
		}
		struct buf out, err;
		buf_init(&out);
		buf_init(&err);
		r = spawn_capture(ping, &out, &err, 4096);
		buf_free(&out);
		buf_free(&err);
		if (r == 0)
			return 0;
		if (r == -ENOENT)
			break;
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	snprintf(x->why, sizeof x->why, "mariadbd on %s did not answer within 2 minutes", datadir);
	return -ETIMEDOUT;
}

static void temp_server_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);   /* mariadbd shuts down cleanly on SIGTERM */
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

int backup_pitr_replay_temp(struct pitr_run *x)
{
	if (!x->n_replayed)
		return 0;
	pid_t pid = -1;
	int r = temp_server(x, x->datadir, x->work, &pid);
	if (r == 0) {
		_cleanup_free_ char *sock = path_join(x->work, "mysqld.sock");
		const char *client[MYSQL_LOCAL_ARGV_MAX + 1];
		size_t n = mysql_local_argv("mariadb", "--no-defaults", sock, client);
		client[n++] = "--init-command=FLUSH PRIVILEGES";
		client[n] = NULL;
		log_info("restore of %s: replaying the binary logs", x->host);
		r = backup_pitr_replay(x, client);
	}
	temp_server_stop(pid);
	return r;
}

void backup_pitr_cleanup(struct pitr_run *x)
{
	if (x->work)
		rm_rf(x->work);
}
