/* bench/layout.sh's driver: layout_build() from the command line.
 *   layout_driver TAR OUT DISK_MIB [IDENTITY]
 * Built by bench/layout.sh against build/libkiln.a; not part of kiln. */
#include <stdio.h>
#include <stdlib.h>
#include "images/layout.h"

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s TAR OUT DISK_MIB [IDENTITY]\n", argv[0]);
		return 2;
	}
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	struct layout_opts o = {
		.tar_path = argv[1],
		.out_path = argv[2],
		.disk_size = strtoull(argv[3], NULL, 10) << 20,
		.cmdline_extra = "console=ttyS0",
		.source_date_epoch = sde ? strtoll(sde, NULL, 10) : 0,
		.identity = argc > 4 ? argv[4] : "bench/layout",
	};
	return layout_build(&o) < 0 ? 1 : 0;
}
