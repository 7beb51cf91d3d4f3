/* kiln backup list|verify|restore; see backup_ops.h. */
#include "installer/backup_ops.h"
#include "lib/backup_local.h"
#include "lib/backup_pitr.h"
#include "lib/fileio.h"
#include "lib/spawn.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
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
		if (!json) {
			buf_printf(&b, "%s  %s  %s  %" PRIu64 " bytes  key %s\n", e[i].name, e[i].meta.kind, t, e[i].plain_bytes, id);
			continue;
		}
		buf_puts(&b, k++ ? ",{\"name\":" : "{\"name\":");
		json_str(&b, e[i].name);
		buf_puts(&b, ",\"kind\":");
		json_str(&b, e[i].meta.kind);
		buf_printf(&b, ",\"created\":\"%s\",\"created_unix\":%" PRId64 ",\"bytes\":%" PRIu64 ",\"object_bytes\":%" PRIu64
			   ",\"key_id\":\"%s\"}", t, e[i].meta.created, e[i].plain_bytes, e[i].object_bytes, id);
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

int backup_restore(const char *dir, const struct role_keypair *key, const char *name, const char *out)
{
	_cleanup_close_ int fd = -1;
	int r = backup_dir_open(dir, name, &fd);
	if (r == -EINVAL)
		return log_error_errno(r, "'%s' is not a backup object's name (see 'kiln backup list --from %s')", name, dir);
	if (r == -ENOENT)
		return log_error_errno(r, "no backup object %s in %s (see 'kiln backup list --from %s')", name, dir, dir);
	if (r < 0)
		return log_error_errno(r, "cannot open %s in %s", name, dir);
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

/* A MariaDB server on the restored data directory for the replay only: no
 * network, no binary log, a socket in the private work directory, no grant
 * checks until the replay's client turns them on (FLUSH PRIVILEGES), so it
 * needs no password and no root. */
static int temp_server(const char *datadir, const char *work, pid_t *pid)
{
	_cleanup_free_ char *d = xasprintf("--datadir=%s", datadir), *s = xasprintf("--socket=%s/mysqld.sock", work);
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
	if (r == ENOENT)
		return log_error_errno(-r, "mariadbd is not installed: the binary logs are replayed into a MariaDB server "
					   "on the restored data directory (install mariadb-server)");
	if (r)
		return log_error_errno(-r, "cannot start mariadbd");
	const char *ping[] = { "mariadb-admin", "--no-defaults", s, "ping", NULL };
	for (int i = 0; i < 600; i++) {
		int st;
		if (waitpid(*pid, &st, WNOHANG) == *pid) {
			*pid = -1;
			return log_error_errno(-EIO, "mariadbd on %s stopped at once (see %s/mysqld.err)", datadir, work);
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
	return log_error_errno(-ETIMEDOUT, "mariadbd on %s did not answer (see %s/mysqld.err)", datadir, work);
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
	pid_t pid = -1;
	if (r == 0 && x.n_replayed) {
		if ((r = temp_server(data, work, &pid)) == 0) {
			_cleanup_free_ char *sock = xasprintf("--socket=%s/mysqld.sock", work);
			const char *client[] = { "mariadb", "--no-defaults", sock, "--init-command=FLUSH PRIVILEGES", NULL };
			log_info("restore of %s: replaying the binary logs", host);
			r = backup_pitr_replay(&x, client);
		} else
			snprintf(x.why, sizeof x.why, "no server to replay the binary logs into");
		temp_server_stop(pid);
	}
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
