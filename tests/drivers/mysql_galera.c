/* Test driver: the Galera half of the mysql role (firstboot/galera.h) run
 * for real on loopback, exactly as the agent decides, with the server's
 * start done by a command of the test instead of systemctl.
 *   mysql_galera PROFILE HOST start STATEDIR DATADIR -- CMD...
 *       decide (the bootstrap record under STATEDIR, grastate.dat under
 *       DATADIR, real TCP probes of the other nodes' 4567), record a
 *       bootstrap, then run CMD... new-cluster|join (0: the node is up);
 *       a joiner retries until KILN_GALERA_DEADLINE (seconds, default 60).
 *       Prints "new-cluster" or "joined".
 *   mysql_galera PROFILE HOST sst-cnf   the SST account's option file
 *       (secret from $KILN_SECRET_mysql_sst_password)
 *   mysql_galera PROFILE HOST recover SEQNO [NAME=SEQNO...]   may HOST
 *       bootstrap after a whole-cluster loss? exit 0 yes, 1 no (why on stderr) */
#include "firstboot/galera.h"
#include "lib/spawn.h"
#include "profiles/galera.h"
#include "tests/drivers/driver.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ctx {
	char **cmd;     /* CMD..., with room for the mode and NULL */
	size_t n;
};

static int probe(void *ud, const char *addr, unsigned port)
{
	return galera_tcp_probe(addr, port, 1000);
}

static int start(void *ud, bool new_cluster, char *why, size_t why_len)
{
	struct ctx *c = ud;
	c->cmd[c->n] = (char *)(new_cluster ? "new-cluster" : "join");
	c->cmd[c->n + 1] = NULL;
	int st = spawn_io((const char *const *)c->cmd, NULL, 0, NULL, NULL, 0);
	if (st != 0)
		snprintf(why, why_len, "%s exited %d", c->cmd[0], st);
	return st == 0 ? 0 : st < 0 ? st : -EIO;
}

static void nap(void *ud, unsigned s)
{
	sleep(s);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s PROFILE HOST start STATEDIR DATADIR -- CMD... | sst-cnf | recover SEQNO "
				"[NAME=SEQNO...]\n", argv[0]);
		return 2;
	}
	struct model m;
	if (load_profile(argv[1], &m) < 0)
		return 1;
	const struct host *h = model_find_host(&m, argv[2]);
	int rc = 1;
	if (!h || h->role != ROLE_MYSQL || !galera_on(&m)) {
		fprintf(stderr, "%s is not a Galera node of this profile\n", argv[2]);
	} else if (!strcmp(argv[3], "sst-cnf")) {
		const char *pw = env_secret(NULL, "mysql_sst_password");
		struct buf b;
		buf_init(&b);
		if (pw && galera_sst_cnf(pw, &b) == 0) {
			fwrite(b.data, 1, b.len, stdout);
			rc = 0;
		} else
			fprintf(stderr, "no usable KILN_SECRET_mysql_sst_password\n");
		buf_wipe(&b);
	} else if (!strcmp(argv[3], "recover") && argc >= 5) {
		struct galera_seqno peers[16];
		size_t n = 0;
		for (int i = 5; i < argc && n < 16; i++) {
			char *eq = strchr(argv[i], '=');
			if (!eq)
				continue;
			*eq = '\0';
			peers[n++] = (struct galera_seqno){ argv[i], atoll(eq + 1) };
		}
		char why[300];
		const struct host *nodes[16];
		const char *names[16];
		size_t nn = galera_nodes(&m, nodes, 16);
		for (size_t i = 0; i < nn && i < 16; i++)
			names[i] = nodes[i]->name;
		int r = galera_recover_decide(names, nn < 16 ? nn : 16, h->name, atoll(argv[4]), peers, n, why, sizeof why);
		fprintf(stderr, "%s\n", why);
		rc = r == 0 ? 0 : 1;
	} else if (!strcmp(argv[3], "start") && argc >= 8 && !strcmp(argv[6], "--")) {
		struct ctx c = { .cmd = calloc((size_t)argc, sizeof(char *)), .n = 0 };
		for (int i = 7; i < argc; i++)
			c.cmd[c.n++] = argv[i];
		const char *dl = getenv("KILN_GALERA_DEADLINE");
		struct galera_runner run = { .probe = probe, .start = start, .sleep_s = nap, .ud = &c,
					     .state_dir = argv[4], .datadir = argv[5],
					     .deadline_s = dl ? (unsigned)atoi(dl) : 60, .retry_s = 2 };
		enum galera_start did;
		char why[400] = "";
		if (galera_start(&m, h, &run, &did, why, sizeof why) < 0)
			fprintf(stderr, "galera start of %s: %s\n", h->name, why);
		else {
			printf("%s\n", did == GALERA_NEW_CLUSTER ? "new-cluster" : "joined");
			rc = 0;
		}
		free(c.cmd);
	} else
		fprintf(stderr, "bad arguments\n");
	model_free(&m);
	return rc;
}
