/* mini_image OUT DISK_MIB ROLE DATA_MIB [SEED]: a small kiln role image made
 * with images/layout.c (tests/unit/mini_image.h), for the install CLI tests
 * and bench/install.sh. mini_image --tar OUT ROLE: its rootfs tar alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/unit/mini_image.h"

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--tar")) {
		mini_tar(argv[2], argv[3], 0, 1);
		return 0;
	}
	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: mini_image OUT DISK_MIB ROLE DATA_MIB [SEED] | --tar OUT ROLE\n");
		return 2;
	}
	unsigned disk = (unsigned)strtoul(argv[2], NULL, 10), data = (unsigned)strtoul(argv[4], NULL, 10);
	uint32_t seed = argc == 6 ? (uint32_t)strtoul(argv[5], NULL, 10) : 1;
	return mini_image(argv[1], disk, argv[3], data, seed) < 0 ? 1 : 0;
}
