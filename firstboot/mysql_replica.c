#include "firstboot/mysql_replica.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/mysql_local.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include "profiles/mysql_engine.h"
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint32_t name_id(const char *name)
{
	static const char tag[] = "kiln server-id ";
	unsigned char h[8];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const unsigned char *)tag, sizeof tag - 1);
	crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
	crypto_generichash_final(&st, h, sizeof h);
	uint64_t v = 0;
	for (size_t i = 0; i < sizeof h; i++)
		v = v << 8 | h[i];
	return (uint32_t)(v % 0xffffffffu) + 1;   /* 1..2^32-1: 0 is not a valid server-id */
}

uint32_t mysql_server_id(const struct model *m, const struct host *h)
{
	if (h->role != ROLE_MYSQL)
		return 0;
	/* Assign in profile order: an earlier host's id is taken. n is small
	 * (a handful of MySQL hosts), so the quadratic walk costs nothing. */
	uint32_t ids[256];
	size_t n = 0;
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *x = &m->hosts[i];
		if (x->role != ROLE_MYSQL)
			continue;
		uint32_t id = name_id(x->name);
		for (bool taken = true; taken;) {
			taken = false;
			for (size_t j = 0; j < n && !taken; j++)
				taken = ids[j] == id;
			if (taken)
				id = id == 0xffffffffu ? 1 : id + 1;
		}
		if (x == h)
			return id;
		if (n < sizeof ids / sizeof *ids)
			ids[n++] = id;
	}
	return name_id(h->name);   /* h is not in m: its own value */
}

char *mysql_primary_addr(const struct model *m, const struct host *h)
{
	const struct host *p = h->replica_of ? model_find_host(m, h->replica_of) : NULL;
	char a[16];
	if (!p)
		return NULL;
	return p->dhcp ? xasprintf("%s.%s", p->name, m->domain) : xstrdup(ipv4_fmt(p->address, a));
}

static bool is_mysql(const struct model *m)
{
	return m->roles.mysql.engine == MYSQL_ENGINE_MYSQL;
}

void mysql_replica_change_sql(const struct model *m, const struct host *h, const char *rpw, const char *host,
			      unsigned port, struct buf *out)
{
	_cleanup_free_ char *addr = host ? xstrdup(host) : mysql_primary_addr(m, h);
	bool my = is_mysql(m), tls = m->roles.mysql.tls;
	/* MySQL 8.4 has only the SOURCE/REPLICA spellings (8.0.23+); MariaDB
	 * keeps MASTER/SLAVE. */
	buf_puts(out, my ? "STOP REPLICA;\nCHANGE REPLICATION SOURCE TO SOURCE_HOST="
			 : "STOP SLAVE;\nCHANGE MASTER TO MASTER_HOST=");
	sql_quote(out, addr ? addr : "");
	buf_printf(out, my ? ", SOURCE_PORT=%u, SOURCE_USER=" : ", MASTER_PORT=%u, MASTER_USER=", port ? port : 3306);
	sql_quote(out, MYSQL_REPL_USER);
	buf_puts(out, my ? ", SOURCE_PASSWORD=" : ", MASTER_PASSWORD=");
	sql_quote(out, rpw ? rpw : "");
	/* MySQL: caching_sha2_password sends the password only over TLS (the
	 * server has a certificate of its own without roles.mysql.tls). The
	 * primary's certificate is signed by a CA of its own host, which the
	 * replica has no copy of: encrypted, not verified. */
	if (my)
		buf_puts(out, ", SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=10, SOURCE_SSL=1;\n");
	else
		buf_printf(out, ", MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=10%s;\n",
			   tls ? ", MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=0" : "");
}

int mysql_client_cnf(const char *password, struct buf *out)
{
	if (strpbrk(password, "\n\r"))
		return -EINVAL;
	buf_puts(out, "[client]\npassword=\"");
	for (const char *s = password; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(out, '\\');
		buf_putc(out, *s);
	}
	buf_puts(out, "\"\n");
	return 0;
}

void mysql_dump_argv(const struct model *m, const struct host *h, const char *cnf, const char *host, unsigned port,
		     const char *argv[MYSQL_DUMP_ARGV_MAX], char *owned[4])
{
	size_t n = 0;
	owned[0] = xasprintf("--defaults-extra-file=%s", cnf);
	owned[1] = host ? xstrdup(host) : mysql_primary_addr(m, h);
	owned[2] = xasprintf("%u", port ? port : 3306);
	owned[3] = NULL;
	argv[n++] = "mariadb-dump";
	argv[n++] = owned[0];   /* first: option-file options must lead */
	argv[n++] = "-h";
	argv[n++] = owned[1];
	argv[n++] = "-P";
	argv[n++] = owned[2];
	argv[n++] = "-u" MYSQL_REPL_USER;
	/* One snapshot for every table, and its GTID at the end of the dump
	 * (SET GLOBAL gtid_slave_pos) where replication starts from. */
	argv[n++] = "--single-transaction";
	argv[n++] = "--master-data=1";
	argv[n++] = "--gtid";
	argv[n++] = "--all-databases";
	/* The system schema is the replica's own; the accounts come as
	 * statements that add to it. */
	argv[n++] = "--ignore-database=mysql";
	/* The data disk's filesystem is mounted on the data directory, so its
	 * root-only lost+found shows as a database MariaDB cannot read; the
	 * dump of --all-databases would stop there. */
	argv[n++] = "--ignore-database=#mysql50#lost+found";
	argv[n++] = "--system=users";
	argv[n++] = "--insert-ignore";
	argv[n++] = "--routines";
	argv[n++] = "--events";
	argv[n++] = "--triggers";
	if (m->roles.mysql.tls) {
		argv[n++] = "--ssl";
		argv[n++] = "--skip-ssl-verify-server-cert";
	}
	argv[n] = NULL;
}

static void free_owned(char *owned[4])
{
	for (size_t i = 0; i < 4; i++)
		free(owned[i]);
}

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* argv = local client + extra (NULL-terminated) */
static void client_argv(const struct mysql_runner *r, const char *const extra[], const char *argv[16])
{
	size_t n = 0;
	for (size_t i = 0; r->local[i] && n < 12; i++)
		argv[n++] = r->local[i];
	for (size_t i = 0; extra && extra[i] && n < 15; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
}

static int run_sql(const struct mysql_runner *r, const char *const extra[], const char *sql, size_t len,
		   struct buf *out, char *why, size_t why_len)
{
	const char *argv[16];
	client_argv(r, extra, argv);
	return r->run(r->ud, argv, sql, len, out, why, why_len);
}

int mysql_replica_setup(const struct model *m, const struct host *h, secret_lookup_fn secret, void *sud,
			const struct mysql_runner *r, bool *cloned, char *why, size_t why_len)
{
	*cloned = false;
	const char *rpw = secret(sud, "mysql_replication_password");
	if (!rpw) {
		snprintf(why, why_len, "the seed lacks secret mysql_replication_password");
		return -ENOKEY;
	}
	const char *primary = h->replica_of;
	/* 1. where the primary is: stopped, re-pointed (not started). */
	struct buf sql;
	buf_init(&sql);
	/* nothing done here goes to this host's binary log: its GTIDs are the
	 * primary's alone, so it can become the primary without a gap */
	buf_puts(&sql, "SET SESSION sql_log_bin=0;\n");
	mysql_replica_change_sql(m, h, rpw, r->primary_host, r->primary_port, &sql);
	int rc = run_sql(r, NULL, sql.data, sql.len, NULL, why, why_len);
	buf_wipe(&sql);
	if (rc < 0)
		return rc;

	/* 2. bootstrapped? The copy's last statement sets gtid_slave_pos, so
	 * an empty one means no copy finished (or none was made). */
	if (!is_mysql(m)) {
		struct buf out;
		buf_init(&out);
		static const char q[] = "SELECT @@global.gtid_slave_pos;\n";
		const char *const nb[] = { "-N", "-B", NULL };
		rc = run_sql(r, nb, q, sizeof q - 1, &out, why, why_len);
		buf_putc(&out, '\0');
		trim(out.data);
		bool fresh = rc == 0 && !out.data[0];
		buf_free(&out);
		if (rc < 0)
			return rc;
		if (fresh) {
			struct buf cnf;
			buf_init(&cnf);
			rc = mysql_client_cnf(rpw, &cnf);
			if (rc == 0)
				rc = write_file_atomic(r->cnf_path, cnf.data, cnf.len, 0600);
			buf_wipe(&cnf);
			if (rc < 0) {
				snprintf(why, why_len, "writing %s: %s", r->cnf_path, strerror(-rc));
				return rc;
			}
			const char *dump[MYSQL_DUMP_ARGV_MAX];
			char *owned[4];
			mysql_dump_argv(m, h, r->cnf_path, r->primary_host, r->primary_port, dump, owned);
			const char *const init[] = { "--init-command=SET SESSION sql_log_bin=0", NULL };
			const char *load[16];
			client_argv(r, init, load);
			time_t end = time(NULL) + r->deadline_s;
			char last[300] = "";
			for (;;) {
				rc = r->run_pipe(r->ud, dump, load, last, sizeof last);
				if (rc == 0 || time(NULL) >= end)
					break;
				r->sleep_s(r->ud, 5);
			}
			free_owned(owned);
			unlink(r->cnf_path);
			if (rc < 0) {
				snprintf(why, why_len, "copying the primary %s: %s", primary, last);
				return rc;
			}
			*cloned = true;
		}
	}
	/* 3. start */
	static const char start_maria[] = "START SLAVE;\n", start_my[] = "START REPLICA;\n";
	const char *st = is_mysql(m) ? start_my : start_maria;
	return run_sql(r, NULL, st, strlen(st), NULL, why, why_len);
}

/* Batch mode's escapes: \t \n \\ \0. */
static void unescape_field(const char *s, size_t n, char *out, size_t out_len)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < out_len; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < n) {
			char e = s[++i];
			c = e == 't' ? '\t' : e == 'n' ? '\n' : e == '0' ? ' ' : e;
		}
		/* one line for the status table */
		out[k++] = c == '\n' || c == '\t' || c == '\r' ? ' ' : c;
	}
	out[k] = '\0';
}

static size_t split_tabs(const char *line, size_t len, const char *f[], size_t fl[], size_t max)
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= len; i++)
		if (i == len || line[i] == '\t') {
			if (n < max) {
				f[n] = line + start;
				fl[n] = i - start;
			}
			n++;
			start = i + 1;
		}
	return n;
}

/* v into dst, cut at dst_len - 1 bytes */
static void copy_field(char *dst, size_t dst_len, const char *v)
{
	size_t n = strlen(v);
	if (n >= dst_len)
		n = dst_len - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static bool num_field(const char *v, long long *out)
{
	if (!*v)
		return false;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || *end || x < 0)
		return false;
	*out = x;
	return true;
}

int mysql_replica_status_parse(const char *text, struct mysql_replica_status *st)
{
	memset(st, 0, sizeof *st);
	st->seconds_behind = -1;
	const char *nl = strchr(text, '\n');
	if (!*text)
		return 0;
	if (!nl)
		return -EBADMSG;
	const char *vals = nl + 1;
	size_t vlen = strcspn(vals, "\n");
	if (vlen == 0 && !vals[0])
		return -EBADMSG;   /* a header without a row */
	if (vals[vlen] == '\n' && vals[vlen + 1])
		return -EBADMSG;   /* more than one row (named connections are not kiln's) */
	enum { MAXF = 128 };
	const char *hf[MAXF], *vf[MAXF];
	size_t hl[MAXF], vl[MAXF];
	size_t nh = split_tabs(text, (size_t)(nl - text), hf, hl, MAXF);
	size_t nv = split_tabs(vals, vlen, vf, vl, MAXF);
	if (nh != nv || nh > MAXF || nh < 2)
		return -EBADMSG;
	bool have_io = false, have_sql = false;
	for (size_t i = 0; i < nh; i++) {
		char key[64], v[512];
		if (hl[i] >= sizeof key)
			continue;
		memcpy(key, hf[i], hl[i]);
		key[hl[i]] = '\0';
		unescape_field(vf[i], vl[i], v, sizeof v);
		long long x;
#define IS(a, b) (!strcmp(key, a) || !strcmp(key, b))
		if (IS("Slave_IO_Running", "Replica_IO_Running"))
			copy_field(st->io_running, sizeof st->io_running, v), have_io = true;
		else if (IS("Slave_SQL_Running", "Replica_SQL_Running"))
			copy_field(st->sql_running, sizeof st->sql_running, v), have_sql = true;
		else if (IS("Seconds_Behind_Master", "Seconds_Behind_Source"))
			st->seconds_behind = num_field(v, &x) ? x : -1;
		else if (IS("Master_Host", "Source_Host"))
			copy_field(st->master_host, sizeof st->master_host, v);
		else if (IS("Master_Port", "Source_Port"))
			st->master_port = num_field(v, &x) && x < 65536 ? (unsigned)x : 0;
		else if (IS("Using_Gtid", "Auto_Position"))
			copy_field(st->using_gtid, sizeof st->using_gtid, v);
		else if (IS("Gtid_IO_Pos", "Retrieved_Gtid_Set"))
			copy_field(st->gtid_io_pos, sizeof st->gtid_io_pos, v);
		else if (IS("Last_IO_Errno", "Last_IO_Errno"))
			st->last_io_errno = num_field(v, &x) && x < 100000 ? (unsigned)x : 0;
		else if (IS("Last_SQL_Errno", "Last_SQL_Errno"))
			st->last_sql_errno = num_field(v, &x) && x < 100000 ? (unsigned)x : 0;
		else if (IS("Last_IO_Error", "Last_IO_Error"))
			copy_field(st->last_io_error, sizeof st->last_io_error, v);
		else if (IS("Last_SQL_Error", "Last_SQL_Error"))
			copy_field(st->last_sql_error, sizeof st->last_sql_error, v);
#undef IS
	}
	if (!have_io || !have_sql)
		return -EBADMSG;
	st->configured = true;
	return 0;
}

bool mysql_replica_ok(const struct mysql_replica_status *st)
{
	return st->configured && !strcmp(st->io_running, "Yes") && !strcmp(st->sql_running, "Yes") &&
	       !st->last_io_errno && !st->last_sql_errno;
}

static const char *last_error(const struct mysql_replica_status *st)
{
	return st->last_sql_errno ? st->last_sql_error : st->last_io_errno ? st->last_io_error : NULL;
}

static const char *state_word(const struct mysql_replica_status *st)
{
	if (!st->configured)
		return "not configured";
	if (mysql_replica_ok(st))
		return "replicating";
	if (!strcmp(st->io_running, "Connecting") && !st->last_sql_errno)
		return "connecting";
	return "broken";
}

void mysql_replica_status_text(const char *primary, const struct mysql_replica_status *st, const char *err,
			       struct buf *out)
{
	buf_printf(out, "replication:\n  primary        %s\n", primary);
	if (err) {
		buf_printf(out, "  state          unknown (%s)\n", err);
		return;
	}
	buf_printf(out, "  state          %s\n", state_word(st));
	if (!st->configured)
		return;
	buf_printf(out, "  io thread      %s\n  sql thread     %s\n", st->io_running, st->sql_running);
	if (st->seconds_behind >= 0)
		buf_printf(out, "  lag            %lld s\n", st->seconds_behind);
	else
		buf_puts(out, "  lag            unknown (a thread is not running)\n");
	if (st->gtid_io_pos[0])
		buf_printf(out, "  gtid io pos    %s\n", st->gtid_io_pos);
	const char *e = last_error(st);
	if (e)
		buf_printf(out, "  last error     %u: %s\n", st->last_sql_errno ? st->last_sql_errno : st->last_io_errno, e);
}

void mysql_replica_status_json(const char *primary, const struct mysql_replica_status *st, const char *err,
			       struct buf *out)
{
	buf_puts(out, "{\"primary\": ");
	json_str(out, primary);
	if (err) {
		buf_puts(out, ", \"state\": \"unknown\", \"error\": ");
		json_str(out, err);
		buf_putc(out, '}');
		return;
	}
	buf_printf(out, ", \"state\": \"%s\", \"configured\": %s", state_word(st), st->configured ? "true" : "false");
	if (st->configured) {
		buf_puts(out, ", \"io_running\": ");
		json_str(out, st->io_running);
		buf_puts(out, ", \"sql_running\": ");
		json_str(out, st->sql_running);
		if (st->seconds_behind >= 0)
			buf_printf(out, ", \"seconds_behind_master\": %lld", st->seconds_behind);
		else
			buf_puts(out, ", \"seconds_behind_master\": null");
		buf_puts(out, ", \"gtid_io_pos\": ");
		json_str(out, st->gtid_io_pos);
		buf_printf(out, ", \"last_errno\": %u, \"last_error\": ",
			   st->last_sql_errno ? st->last_sql_errno : st->last_io_errno);
		json_str(out, last_error(st));
	}
	buf_putc(out, '}');
}

void mysql_replica_conf_render(const struct model *m, const struct host *h, struct buf *out)
{
	buf_printf(out, "primary=%s\nclient=%s\n", h->replica_of, mysql_engine_of(m->roles.mysql.engine)->client);
}

static bool conf_value_ok(const char *v)
{
	if (!*v || strlen(v) > 63)
		return false;
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9') || *v == '-' || *v == '_' || *v == '.'))
			return false;
	return true;
}

int mysql_replica_conf_parse(const char *text, char **primary, char **client)
{
	*primary = *client = NULL;
	_cleanup_free_ char *copy = xstrdup(text);
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			goto bad;
		*eq = '\0';
		char **dst = !strcmp(line, "primary") ? primary : !strcmp(line, "client") ? client : NULL;
		if (!dst || *dst || !conf_value_ok(eq + 1))
			goto bad;
		*dst = xstrdup(eq + 1);
	}
	if (*primary && *client)
		return 0;
bad:
	free(*primary);
	free(*client);
	*primary = *client = NULL;
	return -EBADMSG;
}

int mysql_replica_query(const char *client, const char *socket, struct mysql_replica_status *st, char *why,
			size_t why_len)
{
	bool my = !strcmp(client, "mysql");
	const char *argv[MYSQL_LOCAL_ARGV_MAX + 2];
	size_t n = mysql_local_argv(client, NULL, socket, argv);
	argv[n++] = "-B";
	argv[n++] = "--connect-timeout=5";
	argv[n] = NULL;
	static const char q_maria[] = "SHOW SLAVE STATUS;\n", q_my[] = "SHOW REPLICA STATUS;\n";
	const char *q = my ? q_my : q_maria;
	struct buf out, err;
	buf_init(&out);
	buf_init(&err);
	int rc = spawn_io(argv, q, strlen(q), &out, &err, 0);
	if (rc != 0) {
		buf_putc(&err, '\0');
		trim(err.data);
		snprintf(why, why_len, "%s exited %d%s%.200s", client, rc, err.data[0] ? ": " : "", err.data);
		rc = rc < 0 ? rc : -EIO;
	} else {
		buf_putc(&out, '\0');
		rc = mysql_replica_status_parse(out.data, st);
		if (rc < 0)
			snprintf(why, why_len, "unexpected output of SHOW SLAVE STATUS");
	}
	buf_free(&out);
	buf_free(&err);
	return rc;
}
