/* Test driver: the replica half of the mysql role (firstboot/mysql_replica.h)
 * run for real against servers on loopback, exactly as the agent runs it
 * but with the local server's socket given (the agent uses the client's
 * default socket) and no --no-services recording.
 *   mysql_replica PROFILE HOST setup SOCKET   point HOST at its primary (the
 *       profile's address, port 3306), copy the primary first when HOST was
 *       never bootstrapped, start replication; prints "cloned" or "repointed"
 *   mysql_replica PROFILE HOST server-id      HOST's server-id
 * Secrets come from the environment as KILN_SECRET_<name>; KILN_REPL_DEADLINE
 * is how long to keep trying to copy the primary (seconds, default 30). */
#include "firstboot/mysql_replica.h"
#include "lib/mysql_local.h"
#include "lib/spawn.h"
#include "tests/drivers/driver.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int run(void *ud, const char *const argv[], const char *in, size_t in_len, struct buf *out, char *why,
	       size_t why_len)
{
	struct buf err;
	buf_init(&err);
	int st = spawn_io(argv, in, in_len, out, &err, 0);
	buf_putc(&err, '\0');
	if (st != 0)
		snprintf(why, why_len, "%s exited %d: %.200s", argv[0], st, err.data);
	buf_free(&err);
	return st == 0 ? 0 : st < 0 ? st : -EIO;
}

static int run_pipe(void *ud, const char *const a[], const char *const b[], char *why, size_t why_len)
{
	struct buf err;
	buf_init(&err);
	int st = spawn_pipe(a, b, &err);
	buf_putc(&err, '\0');
	if (st != 0)
		snprintf(why, why_len, "%s | %s exited %d: %.200s", a[0], b[0], st, err.data);
	buf_free(&err);
	return st == 0 ? 0 : st < 0 ? st : -EIO;
}

static void nap(void *ud, unsigned s)
{
	sleep(s > 1 ? 1 : s);   /* tests: retry sooner than the agent */
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[3], "setup") && strcmp(argv[3], "server-id")) ||
	    (!strcmp(argv[3], "setup") && argc != 5)) {
		fprintf(stderr, "usage: %s PROFILE HOST setup SOCKET | PROFILE HOST server-id\n", argv[0]);
		return 2;
	}
	struct model m;
	if (load_profile(argv[1], &m) < 0)
		return 1;
	const struct host *h = model_find_host(&m, argv[2]);
	if (!h) {
		fprintf(stderr, "no host %s\n", argv[2]);
		model_free(&m);
		return 1;
	}
	int rc = 0;
	if (!strcmp(argv[3], "server-id")) {
		printf("%u\n", (unsigned)mysql_server_id(&m, h));
	} else if (!h->replica_of) {
		fprintf(stderr, "%s is not a replica\n", h->name);
		rc = 1;
	} else {
		const char *local[MYSQL_LOCAL_ARGV_MAX];
		mysql_local_argv("mariadb", "--no-defaults", argv[4], local);
		char cnf[256];
		snprintf(cnf, sizeof cnf, "%s/kiln-replica-%d.cnf", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
			 (int)getpid());
		const char *dl = getenv("KILN_REPL_DEADLINE");
		struct mysql_runner r = { .run = run, .run_pipe = run_pipe, .sleep_s = nap, .local = local,
					  .cnf_path = cnf, .deadline_s = dl ? (unsigned)atoi(dl) : 30 };
		char why[400] = "";
		bool cloned = false;
		int e = mysql_replica_setup(&m, h, env_secret, NULL, &r, &cloned, why, sizeof why);
		if (e < 0) {
			fprintf(stderr, "replication from %s: %s\n", h->replica_of, why);
			rc = 1;
		} else
			printf("%s\n", cloned ? "cloned" : "repointed");
	}
	model_free(&m);
	return rc;
}
