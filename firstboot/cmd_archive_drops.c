/* kiln-firstboot archive-drops [--day YYYY-MM-DD] [--root DIR]: the day's
 * denied traffic from the central journal into the archive bucket
 * (firstboot/archive_drops.h). kiln-archive-drops.timer runs it nightly on
 * the monitoring host when the profile has monitoring.archive_drops. */
#include "firstboot/archive_drops.h"
#include "firstboot/commands.h"
#include <getopt.h>
#include <stdio.h>

int fb_cmd_archive_drops(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "day", required_argument, NULL, 'd' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *root = "/", *day = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': day = optarg; break;
		case 'r': root = optarg; break;
		case 'h':
			printf("Usage: kiln-firstboot archive-drops [--day YYYY-MM-DD] [--root DIR]\n\n"
			       "On the monitoring host of a profile with monitoring.archive_drops: put the\n"
			       "day's denied traffic (every host's kiln-drop lines in the central journal,\n"
			       "/var/log/journal/remote) into the archive bucket as\n"
			       "kiln-drops/DEPLOYMENT/DAY.log.gz. kiln-archive-drops.timer runs it nightly.\n\n"
			       "  --day DAY    the day to archive (UTC), default yesterday\n"
			       "  --root DIR   read files below DIR (tests)\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "kiln-firstboot archive-drops: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return archive_drops_run(root, day) < 0 ? 1 : 0;
}
