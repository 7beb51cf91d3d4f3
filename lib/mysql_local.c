/* See mysql_local.h. */
#include "lib/mysql_local.h"
#include <string.h>

const char *mysql_local_no_tls(const char *prog)
{
	const char *base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	return strncmp(base, "mysql", 5) ? "--skip-ssl" : "--ssl-mode=DISABLED";
}

size_t mysql_local_argv(const char *prog, const char *lead, const char *socket,
			const char *argv[MYSQL_LOCAL_ARGV_MAX])
{
	size_t n = 0;
	argv[n++] = prog;
	if (lead)
		argv[n++] = lead;   /* option-file options must lead */
	argv[n++] = "--protocol=socket";
	argv[n++] = "-uroot";
	argv[n++] = mysql_local_no_tls(prog);
	if (socket) {
		argv[n++] = "-S";
		argv[n++] = socket;
	}
	argv[n] = NULL;
	return n;
}

bool mysql_local_connect_failed(const char *text)
{
	/* the client stops at its first error and prints it as
	 * "ERROR <code> (<state>): <message>" */
	const char *e = text ? strstr(text, "ERROR ") : NULL;
	if (!e)
		return false;
	e += 6;
	if (!strncmp(e, "2002 (", 6) || !strncmp(e, "2026 (", 6))
		return true;
	if (strncmp(e, "2013 (", 6))
		return false;
	/* 2013 is also a connection lost in mid-statement ("... during
	 * query", after the server may have run some); while connecting it
	 * names the stage: "Lost connection to server at 'handshake: reading
	 * initial communication packet', system error: 11" (Oracle's: "to
	 * MySQL server at 'reading authorization packet'") */
	const char *eol = strchr(e, '\n');
	size_t len = eol ? (size_t)(eol - e) : strlen(e);
	return memmem(e, len, " server at '", 12) && !memmem(e, len, "during query", 12);
}

int mysql_local_retry(const struct mysql_local_runner *r, const char *const argv[], const char *in, size_t in_len,
		      char *why, size_t why_len)
{
	int rc = 0;
	for (unsigned i = 0; i < (r->tries ? r->tries : 1); i++) {
		if (i)
			r->nap(r->ud, r->pause_s);
		why[0] = '\0';
		if ((rc = r->run(r->ud, argv, in, in_len, why, why_len)) == 0 || !mysql_local_connect_failed(why))
			return rc;
	}
	return rc;
}
