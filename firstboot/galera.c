#include "firstboot/galera.h"
#include "firstboot/role_mysql.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/mysql_local.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include "profiles/galera.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_NODES 64

void galera_render_cnf(const struct model *m, const struct host *h, struct buf *out)
{
	const struct host *nodes[MAX_NODES];
	size_t n = galera_nodes(m, nodes, MAX_NODES);
	char a[16];
	buf_puts(out, "# Galera (roles.mysql.cluster: galera): every mysql host of the deployment is a node\n"
		      "wsrep_on = ON\n"
		      "wsrep_provider = " GALERA_PROVIDER "\n");
	buf_printf(out, "wsrep_cluster_name = %s\n", m->name);
	buf_puts(out, "wsrep_cluster_address = gcomm://");
	for (size_t i = 0; i < n && i < MAX_NODES; i++)
		buf_printf(out, "%s%s", i ? "," : "", ipv4_fmt(nodes[i]->address, a));
	buf_putc(out, '\n');
	buf_printf(out, "wsrep_node_address = %s\n", ipv4_fmt(h->address, a));
	buf_printf(out, "wsrep_node_name = %s\n", h->name);
	/* pc.recovery: after a whole-cluster power loss the nodes restore the
	 * last primary component from gvwstate.dat by themselves; the group
	 * listens on the node's address only (not 0.0.0.0) */
	buf_printf(out, "wsrep_provider_options = \"pc.recovery=TRUE;gmcast.listen_addr=tcp://%s:%u\"\n", a,
		   GALERA_GCOMM_PORT);
	buf_puts(out, "wsrep_sst_method = mariabackup\n"
		      "innodb_autoinc_lock_mode = 2\n"
		      "default_storage_engine = InnoDB\n");
}

void galera_render_cnf_sst(const struct host *h, struct buf *out)
{
	char a[16];
	/* wsrep_sst_mariabackup's socat: the joiner listens on 4444 of the
	 * node's address only (not every address), the donor connects from it */
	buf_printf(out, "\n[sst]\nsockopt = bind=%s\n", ipv4_fmt(h->address, a));
}

static void cnf_quoted(struct buf *out, const char *v)
{
	buf_putc(out, '"');
	for (const char *s = v; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(out, '\\');
		buf_putc(out, *s);
	}
	buf_putc(out, '"');
}

int galera_sst_cnf(const char *password, struct buf *out)
{
	if (!*password || strpbrk(password, "\n\r"))
		return -EINVAL;
	buf_puts(out, "# Written by kiln-firstboot: the mariabackup SST's account (roles.mysql.cluster: galera)\n"
		      "[mysqld]\nwsrep_sst_auth = ");
	struct buf v;
	buf_init(&v);
	buf_printf(&v, "%s:%s", GALERA_SST_USER, password);
	buf_putc(&v, '\0');
	cnf_quoted(out, v.data);
	buf_wipe(&v);
	buf_putc(out, '\n');
	return 0;
}

void galera_sst_sql(const char *password, struct buf *out)
{
	static const char acct[] = "'" GALERA_SST_USER "'@'localhost'";
	buf_puts(out, "CREATE USER IF NOT EXISTS ");
	buf_puts(out, acct);
	buf_puts(out, " IDENTIFIED BY ");
	sql_quote(out, password);
	buf_puts(out, ";\nALTER USER ");
	buf_puts(out, acct);
	buf_puts(out, " IDENTIFIED BY ");
	sql_quote(out, password);
	/* what mariabackup --backup needs on the donor (MariaDB 10.5+) */
	buf_printf(out, ";\nGRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO %s;\n", acct);
}

/* "key: value" lines */
static const char *field(const char *text, const char *key, size_t *len)
{
	size_t kl = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, kl) || l[kl] != ':')
			continue;
		const char *v = l + kl + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		*len = strcspn(v, "\r\n");
		return v;
	}
	return NULL;
}

static int parse_ll(const char *v, size_t len, long long *out)
{
	char tmp[32];
	if (!len || len >= sizeof tmp)
		return -EINVAL;
	memcpy(tmp, v, len);
	tmp[len] = '\0';
	char *end;
	errno = 0;
	long long x = strtoll(tmp, &end, 10);
	if (errno || *end || x < -1)
		return -EINVAL;
	*out = x;
	return 0;
}

int galera_grastate_parse(const char *text, struct galera_grastate *g)
{
	memset(g, 0, sizeof *g);
	g->seqno = -1;
	if (!text)
		return 0;
	size_t len;
	const char *v = field(text, "seqno", &len);
	if (!v || parse_ll(v, len, &g->seqno) < 0)
		return -EBADMSG;
	g->present = true;
	if ((v = field(text, "uuid", &len)) && len < sizeof g->uuid) {
		memcpy(g->uuid, v, len);
		g->uuid[len] = '\0';
	}
	g->safe_to_bootstrap = (v = field(text, "safe_to_bootstrap", &len)) && len == 1 && *v == '1';
	return 0;
}

int galera_recovered_parse(const char *log, char uuid[40], long long *seqno)
{
	static const char tag[] = "WSREP: Recovered position: ";
	const char *p = NULL;
	for (const char *q = log; (q = strstr(q, tag)); q += sizeof tag - 1)
		p = q + sizeof tag - 1;   /* the last one */
	if (!p)
		return -ENOENT;
	size_t len = strcspn(p, "\r\n");
	const char *colon = memrchr(p, ':', len);
	if (!colon || (size_t)(colon - p) >= 40)
		return -ENOENT;
	memcpy(uuid, p, (size_t)(colon - p));
	uuid[colon - p] = '\0';
	return parse_ll(colon + 1, len - (size_t)(colon - p) - 1, seqno) < 0 ? -ENOENT : 0;
}

enum galera_start galera_start_decide(const struct galera_facts *f, const char **why)
{
	if (!f->bootstrapper)
		*why = "joining (only the first mysql host by name bootstraps)";
	else if (f->bootstrapped_before)
		*why = "joining (this host bootstrapped the cluster once already)";
	else if (f->grastate)
		*why = "joining (the datadir has been a Galera node: grastate.dat)";
	else if (f->peer_answers)
		*why = "joining (another node answers on 4567: the cluster exists)";
	else {
		*why = "bootstrapping a new cluster (first start of the first node)";
		return GALERA_NEW_CLUSTER;
	}
	return GALERA_JOIN;
}

static bool exists_in(const char *dir, const char *name)
{
	_cleanup_free_ char *p = path_join(dir, name);
	return access(p, F_OK) == 0;
}

int galera_start(const struct model *m, const struct host *h, const struct galera_runner *run,
		 enum galera_start *did, char *why, size_t why_len)
{
	const struct host *nodes[MAX_NODES];
	size_t n = galera_nodes(m, nodes, MAX_NODES);
	struct galera_facts f = {
		.bootstrapper = n && nodes[0] == h,
		.bootstrapped_before = exists_in(run->state_dir, KILN_GALERA_BOOTSTRAPPED_NAME),
		.grastate = exists_in(run->datadir, "grastate.dat"),
	};
	/* probe only where it can change the answer */
	for (size_t i = 0; i < n && i < MAX_NODES && f.bootstrapper && !f.bootstrapped_before && !f.grastate; i++) {
		char a[16];
		if (nodes[i] != h && run->probe(run->ud, ipv4_fmt(nodes[i]->address, a), GALERA_GCOMM_PORT) == 0)
			f.peer_answers = true;
	}
	const char *because;
	*did = galera_start_decide(&f, &because);
	log_info("galera: %s", because);
	if (*did == GALERA_NEW_CLUSTER) {
		/* recorded before the start: never a second bootstrap, even
		 * when this one fails half-way (then: galera recover) */
		_cleanup_free_ char *rec = path_join(run->state_dir, KILN_GALERA_BOOTSTRAPPED_NAME);
		_cleanup_free_ char *txt = xasprintf("node=%s\n", h->name);
		int r = write_file_atomic(rec, txt, strlen(txt), 0644);
		if (r < 0) {
			snprintf(why, why_len, "recording the bootstrap in %s: %s", rec, strerror(-r));
			return r;
		}
		return run->start(run->ud, true, why, why_len);
	}
	unsigned waited = 0, step = run->retry_s ? run->retry_s : 5;
	/* A node that has never been one (an empty datadir) starts only once
	 * another node answers on 4567: a joiner waiting for its primary
	 * component listens there too, and the first node must not take it
	 * for a running cluster and join instead of bootstrapping. A node
	 * that has been one starts at once (after a power cut every node must
	 * be up for pc.recovery). */
	while (!f.grastate && !f.peer_answers) {
		for (size_t i = 0; i < n && i < MAX_NODES && !f.peer_answers; i++) {
			char a[16];
			f.peer_answers = nodes[i] != h &&
					 run->probe(run->ud, ipv4_fmt(nodes[i]->address, a), GALERA_GCOMM_PORT) == 0;
		}
		if (f.peer_answers)
			break;
		if (waited >= run->deadline_s) {
			snprintf(why, why_len, "no other node answers on %u after %u s (the first node, %s, starts the "
				 "cluster)", GALERA_GCOMM_PORT, waited, n ? nodes[0]->name : "?");
			return -ETIMEDOUT;
		}
		run->sleep_s(run->ud, step);
		waited += step;
	}
	for (;;) {
		int r = run->start(run->ud, false, why, why_len);
		if (r == 0)
			return 0;
		if (waited >= run->deadline_s)
			return r;
		log_info("galera: joining failed (%s); trying again in %u s", why, step);
		run->sleep_s(run->ud, step);
		waited += step;
	}
}

int galera_recover_decide(const char *const *nodes, size_t n, const char *self, long long self_seqno,
			  const struct galera_seqno *peers, size_t n_peers, char *why, size_t why_len)
{
	const char *best = NULL;
	long long best_seq = -2;
	for (size_t j = 0; j < n_peers; j++) {
		bool known = false;
		for (size_t i = 0; i < n; i++)
			known |= peers[j].name && !strcmp(peers[j].name, nodes[i]);
		if (!known || !strcmp(peers[j].name, self)) {
			snprintf(why, why_len, "'%s' is not another node of this cluster", peers[j].name ? peers[j].name : "?");
			return -EINVAL;
		}
	}
	bool self_known = false;
	for (size_t i = 0; i < n; i++)
		self_known |= !strcmp(nodes[i], self);
	if (!self_known) {
		snprintf(why, why_len, "'%s' is not a node of this cluster", self);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = nodes[i];
		long long s = -2;
		if (!strcmp(name, self))
			s = self_seqno;
		else
			for (size_t j = 0; j < n_peers; j++)
				if (!strcmp(peers[j].name, name))
					s = peers[j].seqno;
		if (s == -2) {
			snprintf(why, why_len, "no seqno given for node %s (every node's is needed)", name);
			return -EINVAL;
		}
		if (s < 0) {
			snprintf(why, why_len, "node %s's seqno is unknown (run galera recover there first)", name);
			return -EINVAL;
		}
		if (s > best_seq) {   /* name order: the first of a tie stays */
			best_seq = s;
			best = name;
		}
	}
	if (!best || strcmp(best, self)) {
		snprintf(why, why_len, "node %s has the highest committed seqno (%lld); bootstrap there, not here",
			 best ? best : "?", best_seq);
		return -EPERM;
	}
	snprintf(why, why_len, "this node has the highest committed seqno (%lld)", best_seq);
	return 0;
}

void galera_conf_render(const struct model *m, const struct host *h, struct buf *out)
{
	const struct host *nodes[MAX_NODES];
	size_t n = galera_nodes(m, nodes, MAX_NODES);
	buf_printf(out, "node=%s\nnodes=", h->name);
	for (size_t i = 0; i < n && i < MAX_NODES; i++)
		buf_printf(out, "%s%s", i ? "," : "", nodes[i]->name);
	buf_putc(out, '\n');
}

int galera_conf_parse(const char *text, char **node, char ***nodes, size_t *n_nodes)
{
	*node = NULL;
	*nodes = NULL;
	*n_nodes = 0;
	size_t nl = 0, ll = 0;
	const char *nv = NULL, *lv = NULL;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t len = strcspn(l, "\n");
		if (!strncmp(l, "node=", 5))
			nv = l + 5, nl = len - 5;
		else if (!strncmp(l, "nodes=", 6))
			lv = l + 6, ll = len - 6;
	}
	if (!nv || !nl || !lv || !ll)
		return -EBADMSG;
	size_t count = 1;
	for (size_t i = 0; i < ll; i++)
		count += lv[i] == ',';
	/* the vector, then the strings */
	char **v = xcalloc(1, (count + 1) * sizeof(char *) + ll + 1);
	char *str = (char *)(v + count + 1);
	memcpy(str, lv, ll);
	str[ll] = '\0';
	size_t k = 0;
	for (char *save = NULL, *t = strtok_r(str, ",", &save); t; t = strtok_r(NULL, ",", &save))
		v[k++] = t;
	if (k != count) {
		free(v);
		return -EBADMSG;
	}
	*node = xstrndup(nv, nl);
	*nodes = v;
	*n_nodes = k;
	return 0;
}

char *galera_grastate_set_safe(const char *text)
{
	struct buf b;
	buf_init(&b);
	bool set = false;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t len = strcspn(l, "\n");
		if (!strncmp(l, "safe_to_bootstrap:", 18)) {
			buf_puts(&b, "safe_to_bootstrap: 1\n");
			set = true;
		} else
			buf_printf(&b, "%.*s\n", (int)len, l);
	}
	if (!set)
		buf_puts(&b, "safe_to_bootstrap: 1\n");
	buf_putc(&b, '\0');
	return b.data;
}

int galera_status_parse(const char *text, struct galera_status *st)
{
	memset(st, 0, sizeof *st);
	st->last_committed = -1;
	bool any = false;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t ll = strcspn(l, "\n");
		const char *tab = memchr(l, '\t', ll);
		if (!tab || strncmp(l, "wsrep_", 6))
			continue;
		any = true;
		size_t kl = (size_t)(tab - l), vl = ll - kl - 1;
		const char *v = tab + 1;
		char val[64];
		snprintf(val, sizeof val, "%.*s", (int)(vl < 63 ? vl : 63), v);
#define KEY(s) (kl == sizeof(s) - 1 && !strncmp(l, s, kl))
		if (KEY("wsrep_cluster_size"))
			st->cluster_size = (unsigned)strtoul(val, NULL, 10);
		else if (KEY("wsrep_cluster_status"))
			snprintf(st->cluster_status, sizeof st->cluster_status, "%s", val);
		else if (KEY("wsrep_local_state_comment"))
			snprintf(st->local_state, sizeof st->local_state, "%s", val);
		else if (KEY("wsrep_ready"))
			st->ready = !strcmp(val, "ON");
		else if (KEY("wsrep_connected"))
			st->connected = !strcmp(val, "ON");
		else if (KEY("wsrep_last_committed"))
			parse_ll(val, strlen(val), &st->last_committed);
#undef KEY
	}
	return any ? 0 : -EBADMSG;
}

bool galera_status_ok(const struct galera_status *st)
{
	return st->ready && st->connected && !strcmp(st->cluster_status, "Primary") && !strcmp(st->local_state, "Synced");
}

void galera_status_text(const char *node, const struct galera_status *st, const char *err, struct buf *out)
{
	buf_printf(out, "galera:\n  node           %s\n", node);
	if (err) {
		buf_printf(out, "  state          unknown (%s)\n", err);
		return;
	}
	buf_printf(out, "  state          %s\n", st->local_state[0] ? st->local_state : "unknown");
	buf_printf(out, "  cluster        %s, %u node%s\n", st->cluster_status[0] ? st->cluster_status : "unknown",
		   st->cluster_size, st->cluster_size == 1 ? "" : "s");
	buf_printf(out, "  ready          %s\n", st->ready ? "yes" : "no");
	if (st->last_committed >= 0)
		buf_printf(out, "  last committed %lld\n", st->last_committed);
}

void galera_status_json(const char *node, const struct galera_status *st, const char *err, struct buf *out)
{
	buf_puts(out, "{\"node\": ");
	json_str(out, node);
	if (err) {
		buf_puts(out, ", \"state\": \"unknown\", \"error\": ");
		json_str(out, err);
		buf_putc(out, '}');
		return;
	}
	buf_puts(out, ", \"state\": ");
	json_str(out, st->local_state);
	buf_puts(out, ", \"cluster_status\": ");
	json_str(out, st->cluster_status);
	buf_printf(out, ", \"cluster_size\": %u, \"ready\": %s, \"connected\": %s, \"last_committed\": %lld}",
		   st->cluster_size, st->ready ? "true" : "false", st->connected ? "true" : "false", st->last_committed);
}

int galera_status_query(const char *client, const char *socket, struct galera_status *st, char *why,
			size_t why_len)
{
	const char *argv[MYSQL_LOCAL_ARGV_MAX + 3];
	size_t na = mysql_local_argv(client ? client : "mariadb", NULL, socket, argv);
	argv[na++] = "-B";
	argv[na++] = "-N";
	argv[na++] = "--connect-timeout=5";
	argv[na] = NULL;
	static const char q[] = "SHOW GLOBAL STATUS LIKE 'wsrep%';\n";
	struct buf o, e;
	buf_init(&o);
	buf_init(&e);
	int rc = spawn_io(argv, q, strlen(q), &o, &e, 0);
	if (rc != 0) {
		buf_putc(&e, '\0');
		size_t n = strlen(e.data);
		while (n && (e.data[n - 1] == '\n' || e.data[n - 1] == ' '))
			e.data[--n] = '\0';
		snprintf(why, why_len, "%s exited %d%s%.200s", argv[0], rc, e.data[0] ? ": " : "", e.data);
		rc = rc < 0 ? rc : -EIO;
	} else {
		buf_putc(&o, '\0');
		if ((rc = galera_status_parse(o.data, st)) < 0)
			snprintf(why, why_len, "the server reports no wsrep state (is Galera on?)");
	}
	buf_free(&o);
	buf_free(&e);
	return rc;
}

int galera_tcp_probe(const char *addr, unsigned port, unsigned timeout_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EINVAL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int r = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : -errno;
	if (r == -EINPROGRESS) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int err = 0;
		socklen_t el = sizeof err;
		if (poll(&p, 1, (int)timeout_ms) <= 0)
			r = -ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			r = -errno;
		else
			r = -err;
	}
	close(fd);
	return r;
}
