/* Tiny driver for bench/ext4.sh: ext4_bench IMAGE SIZE_MIB TAR [OFFSET_BYTES]
 * creates IMAGE (sparse, OFFSET+SIZE long) and writes the tar into it with
 * ext4_from_tar(), fixed UUID/hash seed/timestamp. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "images/ext4_writer.h"

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s IMAGE SIZE_MIB TAR [OFFSET]\n", argv[0]);
		return 2;
	}
	uint64_t size = strtoull(argv[2], NULL, 10) << 20;
	uint64_t off = argc > 4 ? strtoull(argv[4], NULL, 10) : 0;
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)(off + size)) < 0) {
		perror(argv[1]);
		return 1;
	}
	close(fd);
	struct ext4_params p;
	memset(&p, 0, sizeof(p));
	p.label = "root";
	for (int i = 0; i < 16; i++) {
		p.uuid[i] = (uint8_t)(0x10 + i);
		p.hash_seed[i] = (uint8_t)(0x80 + i);
	}
	p.timestamp = 1700000000;
	return ext4_from_tar(argv[1], off, size, &p, argv[3], NULL, 0, NULL, NULL, NULL) ? 1 : 0;
}
