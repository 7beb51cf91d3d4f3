/* kiln-firstboot run: the whole first boot, in two stages.
 *   early  before systemd-networkd starts: seed (local datasources only),
 *          identity (network + firewall files), secrets, data disk
 *   late   after the network is online: everything not yet done (on EC2 the
 *          seed itself arrives only now), then role setup and join
 * Steps already done are skipped unless a newer seed (higher serial) came,
 * which owes all of them again (secret rotation), or changed OVF overrides,
 * which owe identity again; what is owed is recorded before any step runs
 * (firstboot/agent.h), so an interruption resumes it. The first failure stops the run;
 * its reason is in the status, on the console and in /etc/issue.d. */
#include "firstboot/agent.h"
#include "firstboot/commands.h"
#include "firstboot/run_lock.h"
#include "lib/appliance.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/numparse.h"
#include "lib/xalloc.h"
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void announce(struct agent *a)
{
	char line[600];
	status_summary(&a->status, line, sizeof line);
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s\n\n", line);
	agent_write(a, "/etc/issue.d/kiln.issue", b.data, b.len, 0644);
	buf_free(&b);
	if (!a->no_services) {
		int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			dprintf(fd, "%s\n", line);
			close(fd);
		}
	}
	fprintf(stderr, "%s\n", line);
}

#define JOIN_DEADLINE_MAX 86400u   /* a day: longer is a typo, not a plan */

int fb_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stage", required_argument, NULL, 's' },
		{ "root", required_argument, NULL, 'r' },
		{ "no-services", no_argument, NULL, 'n' },
		{ "datasource", required_argument, NULL, 'd' },
		{ "imds-url", required_argument, NULL, 'u' },
		{ "seed-file", required_argument, NULL, 'f' },
		{ "ovf-iso", required_argument, NULL, 'i' },
		{ "seed-iso", required_argument, NULL, 'm' },
		{ "vmtoolsd", required_argument, NULL, 'v' },
		{ "join-deadline", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *stage = "late", *root = "/";
	struct agent a;
	struct ds_opts ds = { 0 };
	bool no_services = false;
	uint64_t join_deadline = 0;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': stage = optarg; break;
		case 'r': root = optarg; break;
		case 'n': no_services = true; break;
		case 'd': ds.force = optarg; break;
		case 'u': ds.imds_url = optarg; break;
		case 'f': ds.seed_file = optarg; break;
		case 'i': ds.ovf_iso = optarg; break;
		case 'm': ds.seed_iso = optarg; break;
		case 'v': ds.vmtoolsd = optarg; break;
		case 'j':
			if (parse_u64(optarg, 1, JOIN_DEADLINE_MAX, &join_deadline) < 0) {
				log_error("--join-deadline takes whole seconds, 1..%u (got '%s')", JOIN_DEADLINE_MAX, optarg);
				return 2;
			}
			break;
		case 'h':
			printf("Usage: kiln-firstboot run [--stage early|late] [--datasource ec2|vmware|other]\n"
			       "         [--imds-url URL] [--seed-file PATH] [--ovf-iso PATH]\n"
			       "         [--seed-iso PATH] [--vmtoolsd PATH]\n"
			       "         [--join-deadline SECONDS] [--root DIR --no-services]\n\n"
			       "Configure this host from its seed: verify and open it, write network,\n"
			       "firewall and identity files, secrets (root-only), prepare the data disk, set\n"
			       "up the role and (app hosts) wait for the peers before starting the app.\n"
			       "Runs from " KILN_UNIT_EARLY " and " KILN_UNIT_LATE "; safe to\n"
			       "run again: finished steps are skipped; a newer seed owes every step again,\n"
			       "and owed work survives an interruption. One run at a time: a run started\n"
			       "while another is going waits for it to end. A seed for another host or\n"
			       "deployment than the one first applied is refused (see 'repurpose').\n"
			       "--root/--no-services write below DIR and only record service commands (tests).\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc) {
		log_error("run takes no arguments (got '%s'; see --help)", argv[optind]);
		return 2;
	}
	bool early = !strcmp(stage, "early");
	if (!early && strcmp(stage, "late")) {
		log_error("--stage is early or late");
		return 2;
	}
	/* before the step record is read: a run that waits reads what the other left */
	_cleanup_free_ char *state_dir = root_path(root, KILN_STATE_DIR);
	_cleanup_close_ int lock = run_lock_take(state_dir);
	if (lock < 0)
		return 1;
	if (agent_init(&a, root) < 0) {
		agent_free(&a);
		return 1;
	}
	a.no_services = no_services;
	a.ds = ds;
	a.ds.sysroot = strcmp(a.root, "/") ? a.root : "";
	if (join_deadline)
		a.join_deadline_s = (unsigned)join_deadline;

	if (early && !ds.force) {
		char why[256];
		if (platform_detect(a.ds.sysroot, why, sizeof why) == PLATFORM_EC2) {
			log_info("EC2 (%s): the seed arrives over the network; configuring in the late stage", why);
			agent_free(&a);
			return 0;
		}
	}
	int r = agent_run(&a, early);
	announce(&a);
	agent_free(&a);
	return r < 0 ? 1 : 0;
}
