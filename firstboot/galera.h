/* roles.mysql.cluster: galera on a mysql host (docs/firstboot.md,
 * "Galera"): the wsrep options of its server, the SST account, the one
 * bootstrap of a new cluster, the operator's fallback after a power loss
 * pc.recovery could not heal, and the node's state for `kiln-firstboot
 * status`.
 *
 * Bootstrap rule: only the first mysql host by name (profiles/galera.h)
 * ever starts a new cluster (--wsrep-new-cluster), and only on its very
 * first start: a datadir without grastate.dat, no record of an earlier
 * bootstrap under the state dir, and no other node answering on 4567. The
 * record is written before the server starts, so a crash mid-start never
 * leads to a second bootstrap. Every other start joins the cluster. After a
 * whole-cluster power loss the nodes rejoin by themselves: pc.recovery=TRUE
 * restores the last primary component from gvwstate.dat once its members
 * see each other again. The fallback is the operator's
 * `kiln-firstboot galera recover`. */
#ifndef KILN_FB_GALERA_H
#define KILN_FB_GALERA_H
#include <stdbool.h>
#include <stddef.h>
#include "lib/buf.h"
#include "profiles/model.h"

/* Under the state dir: this host bootstrapped the cluster (never again). */
#define KILN_GALERA_BOOTSTRAPPED_NAME "galera-bootstrapped"
/* Under the state dir: this host is a Galera node (read by status). */
#define KILN_GALERA_CONF_NAME "mysql-galera.conf"
#define GALERA_PROVIDER "/usr/lib/galera/libgalera_smm.so"
#define GALERA_GCOMM_PORT 4567

/* The wsrep lines of host h's [mysqld] section (appended by
 * mysql_render_cnf when galera is on): provider, cluster name (the
 * deployment's), gcomm:// of every node, node address and name, ROW
 * binlog, innodb_autoinc_lock_mode=2, mariabackup SST,
 * pc.recovery=TRUE and the group listening on the node's address only. */
void galera_render_cnf(const struct model *m, const struct host *h, struct buf *out);

/* The [sst] section that follows [mysqld] (mysql_render_cnf ends with it):
 * the SST's socat bound to the node's address. */
void galera_render_cnf_sst(const struct host *h, struct buf *out);

/* The SST's credentials, for a separate option file readable by the server
 * only: "[mysqld]\nwsrep_sst_auth = kiln_sst:PASSWORD\n" (quoted for the
 * option-file parser). -EINVAL for a password it cannot carry. */
int galera_sst_cnf(const char *password, struct buf *out);
/* The SST account on every node (the donor's mariabackup logs in as it over
 * the local socket): CREATE/ALTER USER + GRANT, idempotent. */
void galera_sst_sql(const char *password, struct buf *out);

/* grastate.dat (the node's saved position). present false when text is NULL. */
struct galera_grastate {
	bool present;
	char uuid[40];
	long long seqno;            /* -1: unknown (a crash; ask --wsrep-recover) */
	bool safe_to_bootstrap;
};
/* 0, or -EBADMSG when it lacks a seqno line. */
int galera_grastate_parse(const char *text, struct galera_grastate *g);
/* mariadbd --wsrep-recover's log: "... WSREP: Recovered position: UUID:SEQNO".
 * 0, or -ENOENT when the line is not there. */
int galera_recovered_parse(const char *log, char uuid[40], long long *seqno);

/* The first start's decision. */
enum galera_start { GALERA_JOIN, GALERA_NEW_CLUSTER };
struct galera_facts {
	bool bootstrapper;          /* this host is galera_bootstrapper() */
	bool bootstrapped_before;   /* KILN_GALERA_BOOTSTRAPPED_NAME exists */
	bool grastate;              /* the datadir has grastate.dat (it has been a node) */
	bool peer_answers;          /* another node accepts a connection on 4567 */
};
/* why: a constant sentence saying which fact decided. */
enum galera_start galera_start_decide(const struct galera_facts *f, const char **why);

/* How the start runs its programs (the agent: systemctl; the test driver:
 * mariadbd on loopback). probe: 0 when addr:port accepts a TCP connection.
 * start: start the server, new_cluster with --wsrep-new-cluster; 0 once it
 * is up and synced, -errno with why otherwise. */
struct galera_runner {
	int (*probe)(void *ud, const char *addr, unsigned port);
	int (*start)(void *ud, bool new_cluster, char *why, size_t why_len);
	void (*sleep_s)(void *ud, unsigned s);
	void *ud;
	const char *state_dir;      /* where the bootstrap record goes */
	const char *datadir;        /* where grastate.dat is looked for */
	unsigned deadline_s;        /* how long a joiner keeps trying */
	unsigned retry_s;           /* between a joiner's tries (0: 5) */
};
/* Decide (the facts read from the runner's state dir, datadir and probes
 * of every other node), record a bootstrap before doing it, start; a
 * joiner retries until deadline_s; a joiner that has never been a node (no
 * grastate.dat) first waits until another node answers on 4567 (until
 * deadline_s: -ETIMEDOUT), since joiners listen there while they wait and
 * the first node must see no one before it bootstraps. *did says what was
 * done. */
int galera_start(const struct model *m, const struct host *h, const struct galera_runner *run,
		 enum galera_start *did, char *why, size_t why_len);

/* 0 when addr:port (IPv4) accepts a TCP connection within timeout_ms,
 * -errno otherwise. */
int galera_tcp_probe(const char *addr, unsigned port, unsigned timeout_ms);

/* The fallback after a whole-cluster loss pc.recovery did not heal: may
 * this node (self, its committed seqno) bootstrap, given every other node's
 * seqno? nodes: every node's name, in name order (galera_nodes). Only the
 * highest may; a tie goes to the first by name. 0 yes; -EPERM no (why names
 * the node that should); -EINVAL a seqno is unknown (-1), a node is missing
 * from peers or a peer is no other node. */
struct galera_seqno {
	const char *name;
	long long seqno;
};
int galera_recover_decide(const char *const *nodes, size_t n_nodes, const char *self, long long self_seqno,
			  const struct galera_seqno *peers, size_t n_peers, char *why, size_t why_len);

/* KILN_GALERA_CONF_NAME: "node=NAME\nnodes=A,B,C\n" (nodes in name order),
 * written by the role step, read by status and `galera recover`. parse: 0 or
 * -EBADMSG; node and nodes (a NULL-terminated vector, one allocation with
 * its strings) malloc'd. */
void galera_conf_render(const struct model *m, const struct host *h, struct buf *out);
int galera_conf_parse(const char *text, char **node, char ***nodes, size_t *n_nodes);

/* grastate.dat with safe_to_bootstrap set to 1 (the line added when it
 * is missing); malloc'd. */
char *galera_grastate_set_safe(const char *text);

/* The node's wsrep state (SHOW GLOBAL STATUS LIKE 'wsrep%', -B -N). */
struct galera_status {
	unsigned cluster_size;
	char cluster_status[64];    /* "Primary", "non-Primary", "Disconnected" */
	char local_state[64];       /* wsrep_local_state_comment: "Synced", "Donor/Desynced", "Joining", ... */
	bool ready, connected;
	long long last_committed;   /* -1 unknown */
};
/* 0, or -EBADMSG when no wsrep_ variable is there (not a Galera server). */
int galera_status_parse(const char *text, struct galera_status *st);
/* Healthy: ready, connected, in the primary component, synced. */
bool galera_status_ok(const struct galera_status *st);
/* The "galera:" lines of `kiln-firstboot status`, or (json) the value of its
 * "galera" member. err: why the state could not be read, or NULL. */
void galera_status_text(const char *node, const struct galera_status *st, const char *err, struct buf *out);
void galera_status_json(const char *node, const struct galera_status *st, const char *err, struct buf *out);
/* Ask the local server (client over socket, NULL: the default). */
int galera_status_query(const char *client, const char *socket, struct galera_status *st, char *why,
			size_t why_len);
#endif
