#include "firstboot/commands.h"
#include "firstboot/platform.h"
#include <getopt.h>
#include <stdio.h>

int fb_cmd_detect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sysroot", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *sysroot = "";
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'r')
			sysroot = optarg;
		else if (c == 'h') {
			printf("Usage: kiln-firstboot detect [--sysroot DIR]\n\n"
			       "Say which platform this machine is (ec2, vmware, other) and the DMI or\n"
			       "hypervisor fact that decided it. --sysroot reads /sys below DIR (tests).\n");
			return 0;
		} else
			return 2;
	}
	char why[256];
	enum platform p = platform_detect(sysroot, why, sizeof why);
	printf("%s (%s)\n", platform_name(p), why);
	return 0;
}
