/* firstboot/galera.c (and profiles/galera.c): the nodes in name order and
 * the bootstrapper, the wsrep options, the SST option file and SQL, the
 * start decision for every combination of facts, galera_start through a
 * recording runner (one bootstrap, recorded before the start; joiners
 * retry until the deadline), grastate.dat and --wsrep-recover parsing, the
 * fallback's highest-seqno rule, the wsrep status and its texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "firstboot/galera.h"
#include "profiles/galera.h"
#include "profiles/profile.h"

static const char prof[] =
	"kiln: 1\ndeployment: {name: shop, domain: t.lan}\ndebian: {suite: bookworm}\n"
	"subnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
	"hosts:\n"
	"  - {name: dbc, role: mysql, subnet: a, address: 10.0.0.12}\n"
	"  - {name: dba, role: mysql, subnet: a, address: 10.0.0.10}\n"
	"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
	"  - {name: dbb, role: mysql, subnet: a, address: 10.0.0.11}\n"
	"roles:\n  mysql: {cluster: galera}\n  app: {service: {exec: /bin/true}}\n";

static void load(struct model *m)
{
	struct diags d = { 0 };
	int r = profile_load_buffer("p.yaml", prof, strlen(prof), NULL, m, &d);
	if (r < 0)
		diags_print(&d, stderr);
	diags_free(&d);
	assert_int_equal(r, 0);
}

static void test_nodes(void **state)
{
	(void)state;
	struct model m;
	load(&m);
	assert_true(galera_on(&m));
	const struct host *n[3], *two[2];
	assert_int_equal(galera_nodes(&m, n, 3), 3);
	assert_string_equal(n[0]->name, "dba");
	assert_string_equal(n[1]->name, "dbb");
	assert_string_equal(n[2]->name, "dbc");
	/* fewer slots: the first ones by name, the count of all */
	assert_int_equal(galera_nodes(&m, two, 2), 3);
	assert_string_equal(two[0]->name, "dba");
	assert_string_equal(two[1]->name, "dbb");
	assert_string_equal(galera_bootstrapper(&m)->name, "dba");
	const char *pk[2];
	assert_int_equal(galera_packages(&m, ROLE_MYSQL, pk, 2), 1);
	assert_string_equal(pk[0], "mariadb-backup");
	assert_int_equal(galera_packages(&m, ROLE_APP, pk, 2), 0);
	m.roles.mysql.cluster = MYSQL_CLUSTER_NONE;
	assert_null(galera_bootstrapper(&m));
	assert_int_equal(galera_nodes(&m, n, 3), 0);
	model_free(&m);
}

static void test_cnf(void **state)
{
	(void)state;
	struct model m;
	load(&m);
	struct buf b;
	buf_init(&b);
	galera_render_cnf(&m, model_find_host(&m, "dbb"), &b);
	buf_putc(&b, '\0');
	assert_non_null(strstr(b.data, "\nwsrep_on = ON\nwsrep_provider = /usr/lib/galera/libgalera_smm.so\n"));
	assert_non_null(strstr(b.data, "\nwsrep_cluster_name = shop\n"));
	assert_non_null(strstr(b.data, "\nwsrep_cluster_address = gcomm://10.0.0.10,10.0.0.11,10.0.0.12\n"));
	assert_non_null(strstr(b.data, "\nwsrep_node_address = 10.0.0.11\nwsrep_node_name = dbb\n"));
	assert_non_null(strstr(b.data, "\nwsrep_provider_options = \"pc.recovery=TRUE;gmcast.listen_addr=tcp://10.0.0.11:4567\"\n"));
	assert_non_null(strstr(b.data, "\nwsrep_sst_method = mariabackup\ninnodb_autoinc_lock_mode = 2\n"));
	buf_free(&b);
	buf_init(&b);
	galera_render_cnf_sst(model_find_host(&m, "dbb"), &b);
	buf_putc(&b, '\0');
	assert_string_equal(b.data, "\n[sst]\nsockopt = bind=10.0.0.11\n");
	buf_free(&b);
	model_free(&m);
}

static void test_sst(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	assert_int_equal(galera_sst_cnf("p\"w\\x", &b), 0);
	buf_putc(&b, '\0');
	assert_non_null(strstr(b.data, "[mysqld]\nwsrep_sst_auth = \"kiln_sst:p\\\"w\\\\x\"\n"));
	buf_free(&b);
	buf_init(&b);
	assert_int_equal(galera_sst_cnf("a\nb", &b), -EINVAL);
	assert_int_equal(galera_sst_cnf("", &b), -EINVAL);
	buf_free(&b);
	buf_init(&b);
	galera_sst_sql("it's", &b);
	buf_putc(&b, '\0');
	assert_non_null(strstr(b.data, "CREATE USER IF NOT EXISTS 'kiln_sst'@'localhost' IDENTIFIED BY 'it\\'s';\n"));
	assert_non_null(strstr(b.data, "ALTER USER 'kiln_sst'@'localhost' IDENTIFIED BY 'it\\'s';\n"));
	assert_non_null(strstr(b.data, "GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO 'kiln_sst'@'localhost';\n"));
	buf_free(&b);
}

static void test_decide(void **state)
{
	(void)state;
	const char *why;
	/* only one combination bootstraps */
	for (unsigned bits = 0; bits < 16; bits++) {
		struct galera_facts f = { .bootstrapper = bits & 1, .bootstrapped_before = bits & 2, .grastate = bits & 4,
					  .peer_answers = bits & 8 };
		enum galera_start s = galera_start_decide(&f, &why);
		assert_int_equal(s, bits == 1 ? GALERA_NEW_CLUSTER : GALERA_JOIN);
		assert_non_null(why);
	}
	struct galera_facts f = { .bootstrapper = true, .peer_answers = true };
	galera_start_decide(&f, &why);
	assert_non_null(strstr(why, "another node answers"));
}

/* a recording runner */
struct rec {
	int starts_new, starts_join, sleeps;
	int fail_joins;          /* the first N joins fail */
	bool peer_up;
	int probes, up_after_probes;
	char record_seen[256];   /* the bootstrap record existed when the start ran */
	const char *state_dir;
};

static int r_probe(void *ud, const char *addr, unsigned port)
{
	struct rec *r = ud;
	r->probes++;
	assert_int_equal(port, 4567);
	if (r->up_after_probes && r->probes >= r->up_after_probes)
		r->peer_up = true;
	return r->peer_up ? 0 : -ECONNREFUSED;
}

static int r_start(void *ud, bool new_cluster, char *why, size_t why_len)
{
	struct rec *r = ud;
	if (new_cluster) {
		char p[512];
		snprintf(p, sizeof p, "%s/" KILN_GALERA_BOOTSTRAPPED_NAME, r->state_dir);
		snprintf(r->record_seen, sizeof r->record_seen, "%s", access(p, F_OK) == 0 ? "yes" : "no");
		r->starts_new++;
		return 0;
	}
	r->starts_join++;
	if (r->fail_joins-- > 0) {
		snprintf(why, why_len, "no primary");
		return -EIO;
	}
	return 0;
}

static void r_sleep(void *ud, unsigned s)
{
	((struct rec *)ud)->sleeps++;
}

static void test_start(void **state)
{
	(void)state;
	struct model m;
	load(&m);
	char dir[] = "/tmp/kiln-galera-test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char data[600], st[600];
	snprintf(data, sizeof data, "%s/data", dir);
	snprintf(st, sizeof st, "%s/state", dir);
	assert_int_equal(mkdir(data, 0700), 0);
	assert_int_equal(mkdir(st, 0700), 0);
	struct rec r = { .state_dir = st };
	struct galera_runner run = { .probe = r_probe, .start = r_start, .sleep_s = r_sleep, .ud = &r,
				     .state_dir = st, .datadir = data, .deadline_s = 10, .retry_s = 5 };
	enum galera_start did;
	char why[300];
	const struct host *a = model_find_host(&m, "dba"), *b = model_find_host(&m, "dbb");
	/* the first node's first start: probes both others, records, bootstraps */
	assert_int_equal(galera_start(&m, a, &run, &did, why, sizeof why), 0);
	assert_int_equal(did, GALERA_NEW_CLUSTER);
	assert_int_equal(r.probes, 2);
	assert_string_equal(r.record_seen, "yes");
	/* its second start (the server wrote grastate.dat) joins at once */
	char p[700], rp[700];
	snprintf(p, sizeof p, "%s/grastate.dat", data);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("seqno: -1\n", f);
	fclose(f);
	r = (struct rec){ .state_dir = st };
	assert_int_equal(galera_start(&m, a, &run, &did, why, sizeof why), 0);
	assert_int_equal(did, GALERA_JOIN);
	assert_int_equal(r.starts_new, 0);
	assert_int_equal(r.probes, 0);
	/* the record but a new, empty datadir: joins once a peer answers */
	assert_int_equal(unlink(p), 0);
	r = (struct rec){ .state_dir = st, .up_after_probes = 2 };
	assert_int_equal(galera_start(&m, a, &run, &did, why, sizeof why), 0);
	assert_int_equal(did, GALERA_JOIN);
	assert_int_equal(r.starts_new, 0);
	assert_int_equal(r.starts_join, 1);
	/* without the record but with grastate.dat: joins */
	snprintf(rp, sizeof rp, "%s/" KILN_GALERA_BOOTSTRAPPED_NAME, st);
	assert_int_equal(unlink(rp), 0);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("seqno: -1\n", f);
	fclose(f);
	r = (struct rec){ .state_dir = st };
	assert_int_equal(galera_start(&m, a, &run, &did, why, sizeof why), 0);
	assert_int_equal(did, GALERA_JOIN);
	assert_int_equal(unlink(p), 0);
	/* empty, no record, but a peer answers: joins */
	r = (struct rec){ .state_dir = st, .peer_up = true };
	assert_int_equal(galera_start(&m, a, &run, &did, why, sizeof why), 0);
	assert_int_equal(did, GALERA_JOIN);
	assert_int_equal(r.starts_new, 0);
	/* another node never bootstraps; fresh, it waits for a peer on 4567
	 * before it starts (here: up at the 3rd probe, after one sleep) */
	r = (struct rec){ .state_dir = st, .up_after_probes = 3 };
	assert_int_equal(galera_start(&m, b, &run, &did, why, sizeof why), 0);
	assert_int_equal(did, GALERA_JOIN);
	assert_int_equal(r.starts_new, 0);
	assert_int_equal(r.starts_join, 1);
	assert_int_equal(r.sleeps, 1);
	/* ... and never starts when no one comes before the deadline */
	r = (struct rec){ .state_dir = st };
	assert_int_equal(galera_start(&m, b, &run, &did, why, sizeof why), -ETIMEDOUT);
	assert_int_equal(r.starts_join + r.starts_new, 0);
	assert_non_null(strstr(why, "no other node answers on 4567 after 10 s (the first node, dba, starts"));
	/* retries its join while it fails */
	r = (struct rec){ .state_dir = st, .fail_joins = 2, .peer_up = true };
	assert_int_equal(galera_start(&m, b, &run, &did, why, sizeof why), 0);
	assert_int_equal(r.starts_join, 3);
	assert_int_equal(r.sleeps, 2);
	/* ... until the deadline (10 s, 5 s apart: three tries) */
	r = (struct rec){ .state_dir = st, .fail_joins = 100, .peer_up = true };
	assert_int_equal(galera_start(&m, b, &run, &did, why, sizeof why), -EIO);
	assert_int_equal(r.starts_join, 3);
	assert_string_equal(why, "no primary");
	/* a node that has been one (grastate.dat) starts at once, no probe:
	 * after a power cut every node must be up for pc.recovery */
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("seqno: -1\n", f);
	fclose(f);
	r = (struct rec){ .state_dir = st };
	assert_int_equal(galera_start(&m, b, &run, &did, why, sizeof why), 0);
	assert_int_equal(r.probes, 0);
	assert_int_equal(r.starts_join, 1);
	assert_int_equal(unlink(p), 0);
	/* a record that cannot be written: no bootstrap */
	r = (struct rec){ .state_dir = st };
	struct galera_runner bad = run;
	bad.state_dir = "/nonexistent/kiln";
	assert_true(galera_start(&m, a, &bad, &did, why, sizeof why) < 0);
	assert_int_equal(r.starts_new, 0);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	model_free(&m);
}

static void test_grastate(void **state)
{
	(void)state;
	struct galera_grastate g;
	assert_int_equal(galera_grastate_parse("# GALERA saved state\nversion: 2.1\n"
					       "uuid:    3b5e8f0c-1111-11ef-9c3a-aabbccddeeff\nseqno:   42\n"
					       "safe_to_bootstrap: 1\n", &g), 0);
	assert_true(g.present);
	assert_string_equal(g.uuid, "3b5e8f0c-1111-11ef-9c3a-aabbccddeeff");
	assert_int_equal(g.seqno, 42);
	assert_true(g.safe_to_bootstrap);
	assert_int_equal(galera_grastate_parse("uuid: x\nseqno: -1\nsafe_to_bootstrap: 0\n", &g), 0);
	assert_int_equal(g.seqno, -1);
	assert_false(g.safe_to_bootstrap);
	assert_int_equal(galera_grastate_parse(NULL, &g), 0);
	assert_false(g.present);
	assert_int_equal(galera_grastate_parse("uuid: x\n", &g), -EBADMSG);
	assert_int_equal(galera_grastate_parse("seqno: 4x\n", &g), -EBADMSG);
	assert_int_equal(galera_grastate_parse("seqno: -5\n", &g), -EBADMSG);
	assert_int_equal(galera_grastate_parse("seqnox: 5\n", &g), -EBADMSG);

	char uuid[40];
	long long s;
	assert_int_equal(galera_recovered_parse("2024-01-01 [Note] WSREP: Recovered position: "
						"3b5e8f0c-1111-11ef-9c3a-aabbccddeeff:17\nmore\n", uuid, &s), 0);
	assert_string_equal(uuid, "3b5e8f0c-1111-11ef-9c3a-aabbccddeeff");
	assert_int_equal(s, 17);
	assert_int_equal(galera_recovered_parse("WSREP: Recovered position: a:1\nWSREP: Recovered position: a:9\n",
						uuid, &s), 0);
	assert_int_equal(s, 9);
	assert_int_equal(galera_recovered_parse("nothing here\n", uuid, &s), -ENOENT);
	assert_int_equal(galera_recovered_parse("WSREP: Recovered position: nocolon\n", uuid, &s), -ENOENT);
	assert_int_equal(galera_recovered_parse("WSREP: Recovered position: a:x\n", uuid, &s), -ENOENT);
}

static void test_recover(void **state)
{
	(void)state;
	const char *const names[] = { "dba", "dbb", "dbc" };
	char why[300];
	struct galera_seqno p1[] = { { "dba", 10 }, { "dbc", 11 } };
	assert_int_equal(galera_recover_decide(names, 3, "dbb", 12, p1, 2, why, sizeof why), 0);
	assert_non_null(strstr(why, "highest committed seqno (12)"));
	struct galera_seqno p2[] = { { "dbb", 12 }, { "dbc", 11 } };
	assert_int_equal(galera_recover_decide(names, 3, "dba", 10, p2, 2, why, sizeof why), -EPERM);
	assert_non_null(strstr(why, "node dbb has the highest"));
	/* a tie: the first by name */
	struct galera_seqno p3[] = { { "dba", 12 }, { "dbb", 3 } };
	assert_int_equal(galera_recover_decide(names, 3, "dbc", 12, p3, 2, why, sizeof why), -EPERM);
	assert_non_null(strstr(why, "node dba"));
	struct galera_seqno p4[] = { { "dbb", 12 }, { "dbc", 12 } };
	assert_int_equal(galera_recover_decide(names, 3, "dba", 12, p4, 2, why, sizeof why), 0);
	/* refusals: a missing node, an unknown seqno, a stranger, itself twice */
	assert_int_equal(galera_recover_decide(names, 3, "dba", 12, p4, 1, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "no seqno given for node dbc"));
	struct galera_seqno p5[] = { { "dbb", -1 }, { "dbc", 1 } };
	assert_int_equal(galera_recover_decide(names, 3, "dba", 12, p5, 2, why, sizeof why), -EINVAL);
	assert_int_equal(galera_recover_decide(names, 3, "dba", -1, p4, 2, why, sizeof why), -EINVAL);
	struct galera_seqno p6[] = { { "dbb", 1 }, { "dbc", 1 }, { "app1", 99 } };
	assert_int_equal(galera_recover_decide(names, 3, "dba", 12, p6, 3, why, sizeof why), -EINVAL);
	struct galera_seqno p7[] = { { "dbb", 1 }, { "dbc", 1 }, { "dba", 99 } };
	assert_int_equal(galera_recover_decide(names, 3, "dba", 12, p7, 3, why, sizeof why), -EINVAL);
	assert_int_equal(galera_recover_decide(names, 3, "dbx", 12, p4, 2, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "'dbx' is not a node"));
}

static void test_conf(void **state)
{
	(void)state;
	struct model m;
	load(&m);
	struct buf b;
	buf_init(&b);
	galera_conf_render(&m, model_find_host(&m, "dbc"), &b);
	buf_putc(&b, '\0');
	assert_string_equal(b.data, "node=dbc\nnodes=dba,dbb,dbc\n");
	char *node, **nodes;
	size_t n;
	assert_int_equal(galera_conf_parse(b.data, &node, &nodes, &n), 0);
	assert_string_equal(node, "dbc");
	assert_int_equal(n, 3);
	assert_string_equal(nodes[0], "dba");
	assert_string_equal(nodes[2], "dbc");
	assert_null(nodes[3]);
	free(node);
	free(nodes);
	buf_free(&b);
	assert_int_equal(galera_conf_parse("node=a\n", &node, &nodes, &n), -EBADMSG);
	assert_int_equal(galera_conf_parse("nodes=a,b\n", &node, &nodes, &n), -EBADMSG);
	assert_int_equal(galera_conf_parse("node=a\nnodes=a,,b\n", &node, &nodes, &n), -EBADMSG);
	assert_int_equal(galera_conf_parse("node=\nnodes=a\n", &node, &nodes, &n), -EBADMSG);
	char *g = galera_grastate_set_safe("version: 2.1\nuuid: u\nseqno: 7\nsafe_to_bootstrap: 0\n");
	assert_string_equal(g, "version: 2.1\nuuid: u\nseqno: 7\nsafe_to_bootstrap: 1\n");
	free(g);
	g = galera_grastate_set_safe("uuid: u\nseqno: 7");
	assert_string_equal(g, "uuid: u\nseqno: 7\nsafe_to_bootstrap: 1\n");
	free(g);
	model_free(&m);
}

static void test_status(void **state)
{
	(void)state;
	struct galera_status st;
	assert_int_equal(galera_status_parse("wsrep_local_state_comment\tSynced\nwsrep_cluster_size\t3\n"
					     "wsrep_cluster_status\tPrimary\nwsrep_ready\tON\nwsrep_connected\tON\n"
					     "wsrep_last_committed\t57\nwsrep_other\tx\n", &st), 0);
	assert_int_equal(st.cluster_size, 3);
	assert_string_equal(st.cluster_status, "Primary");
	assert_string_equal(st.local_state, "Synced");
	assert_true(st.ready && st.connected);
	assert_int_equal(st.last_committed, 57);
	assert_true(galera_status_ok(&st));
	struct buf b;
	buf_init(&b);
	galera_status_text("db1", &st, NULL, &b);
	buf_putc(&b, '\0');
	assert_string_equal(b.data, "galera:\n  node           db1\n  state          Synced\n"
				    "  cluster        Primary, 3 nodes\n  ready          yes\n  last committed 57\n");
	buf_free(&b);
	buf_init(&b);
	galera_status_json("db1", &st, NULL, &b);
	buf_putc(&b, '\0');
	assert_string_equal(b.data, "{\"node\": \"db1\", \"state\": \"Synced\", \"cluster_status\": \"Primary\", "
				    "\"cluster_size\": 3, \"ready\": true, \"connected\": true, \"last_committed\": 57}");
	buf_free(&b);
	buf_init(&b);
	galera_status_json("db1", &st, "no \"server\"", &b);
	buf_putc(&b, '\0');
	assert_string_equal(b.data, "{\"node\": \"db1\", \"state\": \"unknown\", \"error\": \"no \\\"server\\\"\"}");
	buf_free(&b);
	/* a node alone after its peers left: not healthy */
	assert_int_equal(galera_status_parse("wsrep_local_state_comment\tInitialized\nwsrep_cluster_size\t1\n"
					     "wsrep_cluster_status\tnon-Primary\nwsrep_ready\tOFF\nwsrep_connected\tON\n",
					     &st), 0);
	assert_false(galera_status_ok(&st));
	assert_int_equal(st.last_committed, -1);
	/* not a Galera server */
	assert_int_equal(galera_status_parse("", &st), -EBADMSG);
	assert_int_equal(galera_status_parse("Variable_name\tValue\n", &st), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodes),    cmocka_unit_test(test_cnf),       cmocka_unit_test(test_sst),
		cmocka_unit_test(test_decide),   cmocka_unit_test(test_start),     cmocka_unit_test(test_grastate),
		cmocka_unit_test(test_recover),  cmocka_unit_test(test_status),  cmocka_unit_test(test_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
