/* Test driver: seal stdin into a backup object on stdout, with the library
 * code a host uses (lib/backup_object.h, as firstboot/backup.c does), for the
 * shell tests of `kiln backup`; this is not a kiln command.
 *   backup_seal BACKUP.PUB NAME KIND CREATED [CHUNK [ZSTD_LEVEL]] <plain >object
 * (ZSTD_LEVEL 1..19: compressed, format version 2; default 0, version 1) */
#include "lib/backup_object.h"
#include "lib/fileio.h"
#include "lib/rolekey.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 7) {
		fprintf(stderr, "usage: %s BACKUP.PUB NAME KIND CREATED [CHUNK [ZSTD_LEVEL]] <plain >object\n", argv[0]);
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	char *t;
	size_t n;
	uint8_t pk[32];
	if (read_file(argv[1], 4096, &t, &n) < 0 || backup_pub_parse(t, n, pk) < 0) {
		fprintf(stderr, "%s: not a backup public key\n", argv[1]);
		return 1;
	}
	free(t);
	struct backup_meta m = { 0 };
	if (strlen(argv[2]) > BACKUP_NAME_MAX || strlen(argv[3]) > BACKUP_KIND_MAX)
		return 2;
	strcpy(m.name, argv[2]);
	strcpy(m.kind, argv[3]);
	m.created = strtoll(argv[4], NULL, 10);
	m.chunk_size = argc >= 6 ? (uint32_t)strtoul(argv[5], NULL, 10) : 0;
	m.zstd_level = argc == 7 ? atoi(argv[6]) : 0;
	int out = STDOUT_FILENO, in = STDIN_FILENO;
	struct backup_writer *w;
	int r = backup_writer_init(&w, pk, &m, backup_fd_sink, &out);
	if (r < 0) {
		fprintf(stderr, "backup_seal: %s\n", strerror(-r));
		return 1;
	}
	uint8_t b[65536];
	ssize_t k;
	while (r == 0 && (k = backup_fd_source(&in, b, sizeof b)) != 0)
		r = k < 0 ? (int)k : backup_writer_write(w, b, (size_t)k);
	if (r == 0)
		r = backup_writer_finish(w);
	backup_writer_free(w);
	if (r < 0)
		fprintf(stderr, "backup_seal: %s\n", strerror(-r));
	return r < 0;
}
