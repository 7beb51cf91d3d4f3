/* kiln-firstboot galera recover [--peer NAME=SEQNO ...] [--bootstrap]: the
 * operator's fallback after a whole-cluster loss that pc.recovery did not
 * heal (docs/firstboot.md, "Galera"). Prints this node's committed seqno
 * (grastate.dat, or mariadbd --wsrep-recover after a crash); with
 * --bootstrap and every other node's seqno, marks this node safe to
 * bootstrap (grastate.dat's safe_to_bootstrap: 1, which the server demands
 * of --wsrep-new-cluster) only when it has the highest, ties going to the
 * first by name. Starting the new cluster is then galera_new_cluster. */
#include "firstboot/commands.h"
#include "firstboot/galera.h"
#include "lib/appliance.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PEERS 64

static void usage(void)
{
	printf("Usage: kiln-firstboot galera recover [--peer NAME=SEQNO ...] [--bootstrap]\n"
	       "         [--datadir DIR] [--defaults-file FILE] [--user USER]\n\n"
	       "On a Galera node (roles.mysql.cluster: galera) whose whole cluster went down\n"
	       "and did not come back by itself (pc.recovery restores it when every node of\n"
	       "the last primary component returns; see docs/firstboot.md, \"Galera\"), with\n"
	       "the server stopped on every node:\n"
	       "  1. run 'kiln-firstboot galera recover' on every node: it prints the node's\n"
	       "     committed seqno (grastate.dat, or mariadbd --wsrep-recover after a crash);\n"
	       "  2. on the node with the highest, run it again with --bootstrap and every\n"
	       "     other node's seqno (--peer db2=41 --peer db3=40): it refuses unless this\n"
	       "     node has the highest (a tie goes to the first by name), and otherwise\n"
	       "     sets safe_to_bootstrap: 1 in its grastate.dat;\n"
	       "  3. there, run galera_new_cluster; then start the other nodes (systemctl\n"
	       "     start mariadb): they join it.\n"
	       "The server refuses --wsrep-new-cluster without safe_to_bootstrap, so only\n"
	       "the node this command chose can start a new cluster.\n\n"
	       "  --datadir DIR          the data directory (/var/lib/mysql)\n"
	       "  --defaults-file FILE   the server's option file for --wsrep-recover (default: its own)\n"
	       "  --user USER            the server's user for --wsrep-recover (mysql)\n"
	       "Exit 0 on success, 1 when refused or the seqno cannot be read, 2 on usage.\n");
}

/* This node's committed seqno: grastate.dat's, else the server's own
 * recovery from InnoDB (a crash leaves seqno: -1 there). */
static int own_seqno(const char *datadir, const char *defaults, const char *user, long long *seqno, char uuid[40])
{
	_cleanup_free_ char *gp = path_join(datadir, "grastate.dat");
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_input(gp, INPUT_NOFOLLOW, 65536, &text, &len);
	if (r < 0)
		return log_error_errno(-r, "%s: %s", gp, input_strerror(r));
	struct galera_grastate g;
	if (galera_grastate_parse(text, &g) < 0)
		return log_error_errno(EBADMSG, "%s has no seqno", gp);
	snprintf(uuid, 40, "%s", g.uuid);
	if (g.seqno >= 0) {
		*seqno = g.seqno;
		return 0;
	}
	_cleanup_free_ char *df = defaults ? xasprintf("--defaults-file=%s", defaults) : NULL;
	_cleanup_free_ char *dd = xasprintf("--datadir=%s", datadir);
	_cleanup_free_ char *us = xasprintf("--user=%s", user);
	const char *argv[8];
	size_t n = 0;
	argv[n++] = "mariadbd";
	if (df)
		argv[n++] = df;   /* option-file options first */
	argv[n++] = us;
	argv[n++] = dd;
	argv[n++] = "--wsrep-recover";
	argv[n++] = "--disable-log-error";
	argv[n] = NULL;
	struct buf out, err;
	buf_init(&out);
	buf_init(&err);
	log_info("grastate.dat says seqno -1 (a crash): asking mariadbd --wsrep-recover");
	int st = spawn_io(argv, NULL, 0, &out, &err, 0);
	buf_putc(&err, '\0');
	r = galera_recovered_parse(err.data, uuid, seqno);
	buf_free(&out);
	buf_free(&err);
	if (r < 0)
		return log_error_errno(EIO, "mariadbd --wsrep-recover (exit %d) printed no recovered position "
				       "(is the server still running?)", st);
	return 0;
}

int fb_cmd_galera(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "bootstrap", no_argument, NULL, 'b' },
		{ "datadir", required_argument, NULL, 'd' },
		{ "defaults-file", required_argument, NULL, 'f' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct galera_seqno peers[MAX_PEERS];
	size_t n_peers = 0;
	bool bootstrap = false;
	const char *datadir = "/var/lib/mysql", *defaults = NULL, *user = "mysql";
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': {
			char *eq = strchr(optarg, '='), *end;
			if (!eq || eq == optarg || n_peers == MAX_PEERS) {
				fprintf(stderr, "kiln-firstboot galera: --peer takes NAME=SEQNO\n");
				return 2;
			}
			*eq = '\0';
			errno = 0;
			long long s = strtoll(eq + 1, &end, 10);
			if (errno || !eq[1] || *end || s < -1) {
				fprintf(stderr, "kiln-firstboot galera: --peer %s: '%s' is not a seqno\n", optarg, eq + 1);
				return 2;
			}
			peers[n_peers++] = (struct galera_seqno){ optarg, s };
			break;
		}
		case 'b': bootstrap = true; break;
		case 'd': datadir = optarg; break;
		case 'f': defaults = optarg; break;
		case 'u': user = optarg; break;
		case 'h': usage(); return 0;
		default: return 2;
		}
	}
	if (optind + 1 != argc || strcmp(argv[optind], "recover")) {
		fprintf(stderr, "kiln-firstboot galera: say recover (see --help)\n");
		return 2;
	}
	if ((n_peers || bootstrap) && !(n_peers && bootstrap)) {
		fprintf(stderr, "kiln-firstboot galera: --bootstrap goes with every other node's --peer NAME=SEQNO\n");
		return 2;
	}
	_cleanup_free_ char *cp = xasprintf("%s/" KILN_GALERA_CONF_NAME, fb_state_dir());
	_cleanup_free_ char *conf = NULL, *node = NULL;
	_cleanup_free_ char **nodes = NULL;
	size_t len, n_nodes;
	int r = read_input(cp, INPUT_NOFOLLOW, 65536, &conf, &len);
	if (r < 0) {
		log_error("%s: %s (is this a Galera node?)", cp, input_strerror(r));
		return 1;
	}
	if (galera_conf_parse(conf, &node, &nodes, &n_nodes) < 0) {
		log_error("%s is corrupt", cp);
		return 1;
	}
	long long seqno;
	char uuid[40] = "";
	if (own_seqno(datadir, defaults, user, &seqno, uuid) < 0)
		return 1;
	printf("node %s: committed seqno %lld%s%s\n", node, seqno, uuid[0] ? ", cluster " : "", uuid);
	if (!bootstrap) {
		printf("Run this on every node; then, on the one with the highest seqno:\n"
		       "  kiln-firstboot galera recover --bootstrap --peer NAME=SEQNO ... (every other node)\n");
		return 0;
	}
	char why[300];
	r = galera_recover_decide((const char *const *)nodes, n_nodes, node, seqno, peers, n_peers, why, sizeof why);
	if (r < 0) {
		log_error("refused: %s", why);
		return 1;
	}
	_cleanup_free_ char *gp = path_join(datadir, "grastate.dat");
	_cleanup_free_ char *text = NULL;
	if ((r = read_input(gp, INPUT_NOFOLLOW, 65536, &text, &len)) < 0) {
		log_error("%s: %s", gp, input_strerror(r));
		return 1;
	}
	_cleanup_free_ char *safe = galera_grastate_set_safe(text);
	if ((r = write_file_atomic(gp, safe, strlen(safe), 0660)) < 0) {
		log_error("writing %s: %s", gp, strerror(-r));
		return 1;
	}
	printf("%s: safe_to_bootstrap set in %s. Now run galera_new_cluster here, then start the other nodes.\n",
	       why, gp);
	return 0;
}
