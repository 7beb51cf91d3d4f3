#include "firstboot/commands.h"
#include "firstboot/datasource.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/numparse.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

int fb_cmd_fetch_seed(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "datasource", required_argument, NULL, 'd' },
		{ "imds-url", required_argument, NULL, 'u' },
		{ "deadline", required_argument, NULL, 't' },
		{ "sysroot", required_argument, NULL, 'r' },
		{ "seed-file", required_argument, NULL, 's' },
		{ "ovf-iso", required_argument, NULL, 'i' },
		{ "vmtoolsd", required_argument, NULL, 'v' },
		{ "seed-iso", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ds_opts o = { .sysroot = "" };
	const char *out = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'd': o.force = optarg; break;
		case 'u': o.imds_url = optarg; break;
		case 't': {
			uint64_t s;
			if (parse_u64(optarg, 1, 3600, &s) < 0) {
				log_error("--deadline takes whole seconds, 1..3600 (got '%s')", optarg);
				return 2;
			}
			o.deadline_ms = (unsigned)s * 1000u;
			break;
		}
		case 'r': o.sysroot = optarg; break;
		case 's': o.seed_file = optarg; break;
		case 'i': o.ovf_iso = optarg; break;
		case 'v': o.vmtoolsd = optarg; break;
		case 'm': o.seed_iso = optarg; break;
		case 'h':
			printf("Usage: kiln-firstboot fetch-seed --out FILE [--datasource ec2|vmware|other]\n"
			       "         [--imds-url URL] [--deadline SECONDS] [--seed-file PATH]\n"
			       "         [--ovf-iso PATH] [--vmtoolsd PATH] [--seed-iso PATH] [--sysroot DIR]\n\n"
			       "Fetch this host's seed from the datasource its platform implies (EC2: IMDSv2\n"
			       "user data; VMware: OVF environment property kiln.seed; other: " KILN_SEED_FILE ",\n"
			       "else file 'seed' on an ISO 9660 medium labelled " KILN_SEED_LABEL ")\n"
			       "and write it to FILE (mode 0600). The seed stays sealed: nothing is opened.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!out || optind != argc) {
		log_error("usage: kiln-firstboot fetch-seed --out FILE (see --help)");
		return 2;
	}
	struct ds_result r;
	int e = datasource_fetch(&o, &r);
	if (e == 0) {
		e = write_file_atomic(out, r.seed.data, r.seed.len, 0600);
		if (e < 0)
			log_error_errno(e, "writing %s", out);
		else
			fprintf(stderr, "kiln-firstboot: seed from %s (platform %s: %s), %zu bytes\n", r.source,
				platform_name(r.platform), r.platform_why, r.seed.len);
	}
	ds_result_free(&r);
	return e < 0 ? 1 : 0;
}
