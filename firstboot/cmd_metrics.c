/* kiln-firstboot metrics [--root DIR]: this host's kiln metrics as a
 * node-exporter textfile, and on the monitoring host the status page
 * (firstboot/metrics.h). kiln-metrics.timer runs it every 30 s. */
#include "firstboot/commands.h"
#include "firstboot/metrics.h"
#include "profiles/monitoring.h"
#include <getopt.h>
#include <stdio.h>

int fb_cmd_metrics(int argc, char **argv)
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
			printf("Usage: kiln-firstboot metrics [--root DIR]\n\n"
			       "Write this host's kiln metrics for Prometheus to " MON_TEXTFILE "\n"
			       "(node-exporter's textfile collector): the first-boot steps' states, when each\n"
			       "certificate under " MON_TLS_DIR " expires, the firewall's drop counter, whether\n"
			       "the host's services are active and, on app hosts, the app's health and nginx's\n"
			       "counters. On the monitoring host it also rebuilds the deployment's status page\n"
			       "(" MON_STATUS_DIR "/status.json, index.html) from Prometheus. What to collect\n"
			       "comes from " MON_METRICS_CONF ", written at first boot when the profile has\n"
			       "monitoring:. kiln-metrics.timer runs this every 30 seconds.\n\n"
			       "  --root DIR   read and write files below DIR (tests)\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "kiln-firstboot metrics: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return metrics_run(root) < 0 ? 1 : 0;
}
