/* kiln-firstboot backup full|binlogs [--root DIR]: one backup run of this
 * MySQL host (firstboot/backup.h); kiln-backup-full.timer and
 * kiln-backup-binlogs.timer run them when the profile has backup:. */
#include "firstboot/backup.h"
#include "firstboot/commands.h"
#include "lib/appliance.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

int fb_cmd_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *root = "/";
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'h':
			printf("Usage: kiln-firstboot backup full|binlogs|restore [--root DIR]\n\n"
			       "On a MySQL host of a profile with backup: (docs/backup.md), seal a backup to\n"
			       "the operator's backup key (" KILN_BACKUP_PUB ") and upload it to the\n"
			       "backup bucket (" KILN_BACKUP_CONF "):\n"
			       "  full      mariadb-backup --backup --stream=xbstream, as HOST/full/STAMP.kbk\n"
			       "  binlogs   FLUSH BINARY LOGS, then each closed binary log not shipped yet,\n"
			       "            as HOST/binlog/STAMP-FILE.kbk\n"
			       "  restore   (backup.restore: the role step runs it at first boot) restore this\n"
			       "            host's data directory from the bucket to the conf's restore= point,\n"
			       "            once, and only a data directory that holds no database yet\n"
			       "The run's time, size and result go to " KILN_STATE_DIR "/" KILN_BACKUP_STATUS_NAME
			       ", shown by\n'kiln-firstboot status'; a failed run exits 1.\n"
			       "" KILN_UNIT_BACKUP_FULL ".timer and " KILN_UNIT_BACKUP_BINLOGS ".timer run them.\n\n"
			       "  --root DIR   files below DIR (tests)\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc || (strcmp(argv[optind], "full") && strcmp(argv[optind], "binlogs") &&
					  strcmp(argv[optind], "restore"))) {
		fprintf(stderr, "kiln-firstboot backup: say full, binlogs or restore (see --help)\n");
		return 2;
	}
	const char *k = argv[optind];
	return backup_run(root, !strcmp(k, "full") ? BACKUP_RUN_FULL : !strcmp(k, "binlogs") ? BACKUP_RUN_BINLOGS
											  : BACKUP_RUN_RESTORE) < 0 ? 1 : 0;
}
