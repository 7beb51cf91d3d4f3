/* kiln backup list|verify|restore; see backup_ops.h. */
#include "installer/backup_ops.h"
#include "lib/aws_creds.h"
#include "lib/backup_local.h"
#include "lib/backup_pitr.h"
#include "lib/s3_objects.h"
#include "installer/keystore.h"
#include "profiles/backup.h"
#include "profiles/monitoring.h"
#include "lib/fileio.h"
#include "lib/spawn.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void when(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "@%" PRId64, t);
}

/* A file name as it may be shown: a name objects cannot have may hold any
 * byte (a bucket's keys are not ours), so control and non-ASCII bytes
 * become '?' before they reach a terminal. */
static char *shown(const char *name)
{
	char *s = xstrdup(name);
	for (char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	return s;
}

static const char *entry_error(const struct backup_entry *e)
{
	return e->status == -EINVAL ? "not a valid object name (segments of A-Z a-z 0-9 . _ -)" : backup_strerror(e->status);
}

/* The key id as text and, when it differs, the one it should be. */
static void log_refused(const char *name, int r, const struct backup_meta *m, const struct role_keypair *key)
{
	if (r == BACKUP_E_WRONG_KEY) {
		char have[2 * BACKUP_KEY_ID_BYTES + 1], mine[2 * BACKUP_KEY_ID_BYTES + 1];
		uint8_t id[BACKUP_KEY_ID_BYTES];
		backup_key_id(key->pk, id);
		backup_key_id_hex(m->key_id, have);
		backup_key_id_hex(id, mine);
		log_error("%s: refused: %s (its key id %s, this key's %s)", name, backup_strerror(r), have, mine);
	} else if (r == BACKUP_E_NAME)
		log_error("%s: refused: %s: its header names %s", name, backup_strerror(r), m->name);
	else
		log_error("%s: refused: %s", name, backup_strerror(r));
}

static int list_dir(const char *dir, struct backup_entry **e, size_t *n)
{
	int r = backup_dir_list(dir, e, n);
	if (r < 0)
		return log_error_errno(r, "cannot read the backup directory %s", dir);
	return 0;
}

int backup_list(const char *dir, bool json)
{
	struct backup_entry *e = NULL;
	size_t n = 0, bad = 0;
	int r = list_dir(dir, &e, &n);
	if (r < 0)
		return r;
	struct buf b;
	buf_init(&b);
	if (json)
		buf_puts(&b, "{\"objects\":[");
	for (size_t i = 0, k = 0; i < n; i++) {
		char t[32], id[2 * BACKUP_KEY_ID_BYTES + 1];
		if (e[i].status < 0)
			continue;
		when(e[i].meta.created, t);
		backup_key_id_hex(e[i].meta.key_id, id);
		bool zstd = e[i].meta.version == BACKUP_FORMAT_ZSTD;
		if (!json) {
			buf_printf(&b, "%s  %s  %s  %" PRIu64 " bytes%s  key %s\n", e[i].name, e[i].meta.kind, t, e[i].plain_bytes,
				   zstd ? " zstd" : "", id);
			continue;
		}
		buf_puts(&b, k++ ? ",{\"name\":" : "{\"name\":");
		json_str(&b, e[i].name);
		buf_puts(&b, ",\"kind\":");
		json_str(&b, e[i].meta.kind);
		buf_printf(&b, ",\"created\":\"%s\",\"created_unix\":%" PRId64 ",\"bytes\":%" PRIu64 ",\"object_bytes\":%" PRIu64
			   ",\"compression\":\"%s\",\"key_id\":\"%s\"}", t, e[i].meta.created, e[i].plain_bytes, e[i].object_bytes,
			   zstd ? "zstd" : "none", id);
	}
	if (json)
		buf_puts(&b, "],\"refused\":[");
	for (size_t i = 0; i < n; i++) {
		if (e[i].status == 0)
			continue;
		_cleanup_free_ char *name = shown(e[i].name);
		log_error("%s: refused: %s", name, entry_error(&e[i]));
		if (json) {
			buf_puts(&b, bad ? ",{\"name\":" : "{\"name\":");
			json_str(&b, e[i].name);
			buf_puts(&b, ",\"error\":");
			json_str(&b, entry_error(&e[i]));
			buf_putc(&b, '}');
		}
		bad++;
	}
	if (json)
		buf_puts(&b, "]}\n");
	if (b.len)
		fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	if (n == 0)
		log_info("no backup objects (*%s) in %s", BACKUP_SUFFIX, dir);
	else
		log_info("%zu backup object%s in %s%s; headers only: 'kiln backup verify' authenticates them", n,
			 n == 1 ? "" : "s", dir, bad ? ", some refused" : "");
	backup_entries_free(e, n);
	return bad ? -EBADMSG : 0;
}

static bool wanted(const char *name, char *const *names, size_t n, bool *seen)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name)) {
			seen[i] = true;
			return true;
		}
	return false;
}

static int verify_one(const char *dir, const struct backup_entry *e, const struct role_keypair *key)
{
	if (e->status == -EINVAL) {
		_cleanup_free_ char *name = shown(e->name);
		log_error("%s: refused: %s", name, entry_error(e));
		return -EBADMSG;
	}
	_cleanup_close_ int fd = -1;
	int r = backup_dir_open(dir, e->name, &fd);
	if (r < 0)
		return log_error_errno(r, "cannot open %s in %s", e->name, dir);
	struct backup_meta m;
	uint64_t bytes;
	r = backup_verify_fd(fd, e->name, key, &m, &bytes);
	if (r < 0) {
		log_refused(e->name, r, &m, key);
		return -EBADMSG;
	}
	char t[32];
	when(m.created, t);
	printf("ok  %s  %s  %s  %" PRIu64 " bytes\n", e->name, m.kind, t, bytes);
	return 0;
}

int backup_verify(const char *dir, const struct role_keypair *key, char *const *names, size_t n)
{
	struct backup_entry *e = NULL;
	size_t ne = 0, good = 0, bad = 0;
	int r = list_dir(dir, &e, &ne);
	if (r < 0)
		return r;
	_cleanup_free_ bool *seen = xcalloc(n ? n : 1, sizeof *seen);
	for (size_t i = 0; i < ne; i++) {
		if (!wanted(e[i].name, names, n, seen))
			continue;
		if (verify_one(dir, &e[i], key) == 0)
			good++;
		else
			bad++;
	}
	backup_entries_free(e, ne);
	for (size_t i = 0; i < n; i++)
		if (!seen[i]) {
			log_error("no backup object %s in %s (see 'kiln backup list --from %s')", names[i], dir, dir);
			bad++;
		}
	if (good + bad == 0) {
		log_error("no backup objects (*%s) in %s: nothing to verify", BACKUP_SUFFIX, dir);
		return -ENOENT;
	}
	log_info("%zu verified, %zu refused", good, bad);
	return bad ? -EBADMSG : 0;
}

/* --out -: the whole object authenticated first (nothing written), then
 * decrypted again onto stdout, each chunk authenticated again before it is
 * written: a consumer (mbstream -x) gets bytes only of an object that
 * authenticated whole, without a plaintext copy on disk. */
static int restore_to_stdout(int fd, const char *name, const struct role_keypair *key)
{
	struct backup_meta m;
	uint64_t bytes, again = 0;
	if (isatty(STDOUT_FILENO))
		return log_error_errno(-EINVAL, "--out - writes the plaintext to stdout, which is a terminal: pipe it or give a file");
	int r = backup_verify_fd(fd, name, key, &m, &bytes);
	if (r < 0) {
		log_refused(name, r, &m, key);
		log_error("nothing of %s was written to stdout", name);
		return -EBADMSG;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		return log_error_errno(-errno, "cannot read %s again", name);
	_cleanup_(backup_reader_freep) struct backup_reader *rd = NULL;
	if ((r = backup_reader_open(&rd, key, name, backup_fd_source, &fd, &m)) < 0) {
		log_refused(name, r, &m, key);
		return log_error_errno(-EBADMSG, "%s changed after it authenticated; what went to stdout is incomplete", name);
	}
	uint8_t *buf = sodium_malloc(1u << 16);
	if (!buf)
		abort();
	ssize_t k;
	int out = STDOUT_FILENO;
	while ((k = backup_reader_read(rd, buf, 1u << 16)) > 0) {
		if ((r = backup_fd_sink(&out, buf, (size_t)k)) < 0)
			break;
		again += (uint64_t)k;
	}
	sodium_free(buf);
	if (r < 0)
		return log_error_errno(r, "writing %s to stdout", name);
	if (k < 0 || (r = backup_reader_finish(rd)) < 0 || again != bytes) {
		log_refused(name, k < 0 ? (int)k : r < 0 ? r : BACKUP_E_TAMPERED, &m, key);
		return log_error_errno(-EBADMSG, "%s changed after it authenticated; what went to stdout is incomplete", name);
	}
	log_info("restored %s (%s, %" PRIu64 " bytes) to stdout", name, m.kind, bytes);
	return 0;
}

/* --extract: the object decrypted straight into mbstream -x, in one pass,
 * extracting into a private staging directory beside out that becomes out
 * only once the whole object authenticated and mbstream exited 0
 * (backup_extract_fd); on any failure it is removed */
static int restore_extract(int fd, const char *name, const struct role_keypair *key, const char *out)
{
	const char *const *mb = backup_mbstream_extract;
	struct backup_meta m;
	uint64_t bytes;
	enum backup_side at;
	int st;
	struct buf err;
	buf_init(&err);
	int r = backup_extract_fd(fd, name, key, mb, out, &m, &bytes, &at, &st, &err);
	size_t n = err.len, s;
	while (n && (err.data[n - 1] == '\n' || err.data[n - 1] == '\r'))
		n--;
	for (s = n; s && err.data[s - 1] != '\n'; s--)
		;
	if (r < 0 && at == BACKUP_AT_OBJECT) {
		log_refused(name, r, &m, key);
		log_error("nothing of %s was extracted to %s", name, out);
		r = -EBADMSG;
	} else if (r == -EEXIST && at == BACKUP_AT_OUTPUT)
		log_error_errno(r, "%s exists and is not an empty directory; refusing to extract into it (choose another --out)", out);
	else if (r == -ENOENT && at == BACKUP_AT_PROGRAM)
		log_error("mbstream is not installed (package mariadb-backup): --extract runs mbstream -x");
	else if (r == -EPIPE && at == BACKUP_AT_PROGRAM)
		log_error("mbstream -x stopped reading %s before its end; nothing was extracted to %s", name, out);
	else if (r < 0 && at == BACKUP_AT_PROGRAM && !st)
		log_error_errno(r, "cannot run mbstream; nothing was extracted to %s", out);
	else if (r < 0 && at == BACKUP_AT_PROGRAM)
		log_error("mbstream -x failed (exit %d): %.*s; nothing was extracted to %s", st, (int)(n - s > 300 ? 300 : n - s),
			  err.data + s, out);
	else if (r < 0)
		log_error_errno(r, "cannot extract to %s", out);
	else {
		char t[32];
		when(m.created, t);
		printf("%s\n", out);
		log_info("extracted %s (%s, %s, %" PRIu64 " bytes) into %s", name, m.kind, t, bytes, out);
	}
	buf_free(&err);
	return r;
}

int backup_restore(const char *dir, const struct role_keypair *key, const char *name, const char *out, bool extract)
{
	_cleanup_close_ int fd = -1;
	int r = backup_dir_open(dir, name, &fd);
	if (r == -EINVAL)
		return log_error_errno(r, "'%s' is not a backup object's name (see 'kiln backup list --from %s')", name, dir);
	if (r == -ENOENT)
		return log_error_errno(r, "no backup object %s in %s (see 'kiln backup list --from %s')", name, dir, dir);
	if (r < 0)
		return log_error_errno(r, "cannot open %s in %s", name, dir);
	if (extract)
		return restore_extract(fd, name, key, out);
	if (!strcmp(out, "-"))
		return restore_to_stdout(fd, name, key);
	_cleanup_free_ char *target = backup_restore_target(out, name);
	struct backup_meta m;
	uint64_t bytes;
	enum backup_side at;
	r = backup_restore_fd(fd, name, key, target, &m, &bytes, &at);
	if (r == -EEXIST && at == BACKUP_AT_OUTPUT)
		return log_error_errno(r, "%s exists; refusing to overwrite it (choose another --out)", target);
	if (r < 0 && at == BACKUP_AT_OUTPUT)
		return log_error_errno(r, "cannot write %s", target);
	if (r < 0) {
		log_refused(name, r, &m, key);
		log_error("nothing of %s was written to %s", name, target);
		return -EBADMSG;
	}
	char t[32];
	when(m.created, t);
	printf("%s\n", target);
	log_info("restored %s (%s, %s, %" PRIu64 " bytes) to %s", name, m.kind, t, bytes, target);
	return 0;
}

/* ---- point-in-time restore: kiln backup restore --host HOST [--to TIME] ---- */

int backup_restore_pitr(const char *dir, const struct role_keypair *key, const char *host, int64_t target, const char *out)
{
	struct stat s;
	if (stat(out, &s) == 0)
		return log_error_errno(-EEXIST, "%s exists; a restore goes into a new directory (choose another --out)", out);
	if (errno != ENOENT)
		return log_error_errno(-errno, "cannot use %s", out);
	if (mkdir(out, 0700) < 0)
		return log_error_errno(-errno, "cannot create %s", out);
	_cleanup_free_ char *data = path_join(out, "data"), *work = path_join(out, ".restore-work");
	struct pitr_run x = { .dir = dir, .work = work, .datadir = data, .host = host, .key = key, .target = target };
	char t[32];
	backup_target_str(target, t);
	int r = backup_pitr_prepare(&x);
	if (r == 0)
		r = backup_pitr_replay_temp(&x);
	backup_pitr_cleanup(&x);
	if (r < 0) {
		log_error("restore of %s to %s failed: %s", host, t, x.why);
		rm_rf(out);
		return r;
	}
	printf("%s\n", data);
	if (x.n_replayed)
		log_info("restored %s to %s: full backup %s, then %zu binary log%s from %s position %" PRIu64 " to %s, in %s",
			 host, t, x.full, x.n_replayed, x.n_replayed == 1 ? "" : "s", x.start_file, x.start_pos,
			 x.last_binlog, data);
	else
		log_info("restored %s to %s: full backup %s (no binary logs after it), in %s", host, t, x.full, data);
	return 0;
}

/* ---- kiln backup prune ---- */

static char *state_secret(const char *state, const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/secrets/%s", state, name);
	char *v = NULL;
	size_t len;
	int r = keystore_read_private(p, &v, &len);
	if (r < 0) {
		log_error_errno(r, "cannot read the object store's admin credential %s (run 'kiln secrets init')", p);
		return NULL;
	}
	while (len && (v[len - 1] == '\n' || v[len - 1] == '\r'))
		v[--len] = '\0';
	return v;
}

/* Says what object lock the bucket has (the deployment's MinIO: kiln's
 * COMPLIANCE retention of keep_days; an external endpoint: whatever its
 * operator set, or none). Not being able to read it is no failure: prune
 * works the same, and reports each version the lock keeps. */
static void say_lock(const struct s3_target *t)
{
	struct s3_lock_conf lc;
	char why[512] = "", what[96];
	if (s3_lock_conf_get(t, &lc, why, sizeof why) < 0) {
		log_warn("cannot read the object lock of bucket %s: %s", t->bucket, why);
		return;
	}
	s3_lock_conf_describe(&lc, what, sizeof what);
	if (lc.enabled)
		log_info("bucket %s: object lock %s", t->bucket, what);
	else
		log_info("bucket %s: no object lock (deletes are not held back by a retention)", t->bucket);
}

/* Deletes every version of key (the current one and those an earlier
 * overwrite or delete left): 0, -EPERM when the object lock kept one (said,
 * the others still go), or the first other error. */
static int prune_versions(const struct s3_target *t, const struct s3_version *v, size_t nv, const char *key)
{
	int r = 0;
	char why[1024];
	for (size_t i = 0; i < nv; i++) {
		if (strcmp(v[i].key, key))
			continue;
		int d = s3_delete_version(t, key, v[i].version_id, why, sizeof why);
		if (d == -EPERM)
			log_error("%s (version %s) is kept by the object lock of bucket %s: its retention has not ended "
				  "(%s); prune again later", key, v[i].version_id, t->bucket, why);
		else if (d < 0)
			log_error("deleting %s (version %s) from %s: %s", key, v[i].version_id, t->bucket, why);
		if (d < 0 && (r == 0 || r == -EPERM))
			r = d;
	}
	return r;
}

int backup_prune(const struct model *m, const char *state, const char *endpoint, bool dry_run)
{
	char addr[256];
	const struct host *st = backup_store_host(m);
	_cleanup_free_ char *ep = endpoint ? xstrdup(endpoint) : m->backup.s3_endpoint ? xstrdup(m->backup.s3_endpoint)
				: xasprintf("http://%s:%u", monitoring_peer_addr(m, st, addr, sizeof addr), BACKUP_S3_PORT);
	char *ak = NULL, *sk = NULL;
	if (m->backup.s3_endpoint) {
		/* backup.s3: the operator's own credential for that endpoint, found as the AWS CLI finds it */
		struct aws_creds cr = { 0 };
		int r = aws_creds_load(&cr);
		if (r < 0)
			return r;
		if (cr.session_token) {
			aws_creds_free(&cr);
			return log_error_errno(-ENOTSUP, "AWS_SESSION_TOKEN (temporary credentials) is not supported by prune; "
					       "use an access key of the backup bucket's owner");
		}
		ak = keystore_dup_private(cr.access_key);
		sk = keystore_dup_private(cr.secret_key);
		aws_creds_free(&cr);
	} else {
		ak = state_secret(state, "minio_root_user");
		sk = ak ? state_secret(state, "minio_root_password") : NULL;
	}
	if (!ak || !sk) {
		keystore_free_private(ak);
		return -ENOKEY;
	}
	struct s3_target t = { .endpoint = ep, .access_key = ak, .secret_key = sk, .bucket = m->backup.bucket,
			       .region = m->backup.s3_region };
	int64_t now = (int64_t)time(NULL);
	int r = 0;
	size_t total = 0, kept = 0;
	say_lock(&t);
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (!backup_on_host(m, h))
			continue;
		_cleanup_free_ char *prefix = xasprintf("%s/", h->name);
		char **keys = NULL, why[1024] = "";
		size_t nk = 0, nd = 0, nv = 0;
		struct s3_version *v = NULL;
		int e = s3_list_versions(&t, prefix, &v, &nv, why, sizeof why);
		if (e < 0) {
			log_error("listing %s in %s at %s: %s", prefix, m->backup.bucket, ep, why);
			r = e;
			continue;
		}
		/* the plan is over the current objects (in key order, as listed) */
		keys = xcalloc(nv ? nv : 1, sizeof *keys);
		for (size_t k = 0; k < nv; k++)
			if (v[k].latest && !v[k].delete_marker)
				keys[nk++] = xstrdup(v[k].key);
		_cleanup_free_ bool *del = xcalloc(nk ? nk : 1, sizeof *del);
		e = backup_prune_plan(keys, nk, h->name, now, m->backup.keep_days, del, &nd, why, sizeof why);
		if (e < 0)
			log_warn("%s", why);
		size_t gone = 0;
		for (size_t k = 0; k < nk && e == 0; k++) {
			if (!del[k])
				continue;
			if (dry_run) {
				printf("would delete  %s\n", keys[k]);
				gone++;
				continue;
			}
			int d = prune_versions(&t, v, nv, keys[k]);
			if (d < 0) {
				r = d;
				continue;
			}
			printf("deleted  %s\n", keys[k]);
			gone++;
		}
		s3_versions_free(v, nv);
		log_info("%s: %zu object%s %s, %zu kept (keep_days %u)", h->name, gone, gone == 1 ? "" : "s",
			 dry_run ? "would be deleted" : "deleted", nk - gone, m->backup.keep_days);
		total += gone;
		kept += nk - gone;
		s3_keys_free(keys, nk);
	}
	keystore_free_private(ak);
	keystore_free_private(sk);
	if (r == 0)
		log_info("%zu object%s %s, %zu kept, in bucket %s", total, total == 1 ? "" : "s",
			 dry_run ? "would be deleted" : "deleted", kept, m->backup.bucket);
	return r;
}
