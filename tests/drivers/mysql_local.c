/* Test driver: run PROG as kiln runs a local client (lib/mysql_local.h:
 * root over the socket, TLS off), with ARGs after its own options. */
#include "lib/mysql_local.h"
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 20) {
		fprintf(stderr, "usage: %s PROG SOCKET [ARG...]\n", argv[0]);
		return 2;
	}
	const char *args[MYSQL_LOCAL_ARGV_MAX + 20];
	size_t n = mysql_local_argv(argv[1], NULL, argv[2], args);
	for (int i = 3; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	execvp(args[0], (char *const *)args);
	perror(args[0]);
	return 127;
}
