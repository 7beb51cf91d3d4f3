/* kiln convert IN.raw --to vmdk OUT.vmdk: raw disk image to a
 * streamOptimized VMDK (the disk format an OVA carries). */
#include "esxi/vmdk_format.h"
#include "esxi/vmdk_stream.h"
#include "installer/commands.h"
#include "lib/log.h"
#include "lib/numparse.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void convert_usage(FILE *f)
{
	fprintf(f, "Usage: kiln convert IN.raw --to vmdk OUT.vmdk [OPTIONS]\n\n"
		   "Convert a raw disk image into a streamOptimized VMDK (VMware's layout,\n"
		   "version 3, as ESXi and vCenter import it from an OVA). Holes and all-zero\n"
		   "grains are not stored; grains are compressed on all CPUs.\n\n"
		   "Options:\n"
		   "  --to FORMAT          output format: vmdk (required)\n"
		   "  --adapter TYPE       ddb.adapterType: lsilogic (default), pvscsi,\n"
		   "                       lsilogicsas, buslogic, ide, legacyESX\n"
		   "  --threads N          compression threads (default: all online CPUs)\n"
		   "  --compressor NAME    libdeflate (default) or zlib\n"
		   "  --level N            compression level (libdeflate 1-12, zlib 1-9; default %d)\n"
		   "  --progress           report progress on stderr even when it is not a terminal\n"
		   "  -h, --help           show this help\n",
		GRAIN_LEVEL_DEFAULT);
}

int cmd_convert(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "adapter", required_argument, NULL, 'a' },
		{ "threads", required_argument, NULL, 'j' },
		{ "compressor", required_argument, NULL, 'c' },
		{ "level", required_argument, NULL, 'l' },
		{ "progress", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vmdk_stream_opts o;
	vmdk_stream_opts_init(&o);
	const char *to = NULL;
	unsigned u;
	int c, progress = isatty(STDERR_FILENO);

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			to = optarg;
			break;
		case 'a':
			if (vmdk_adapter_check(optarg) < 0) {
				log_error("unsupported --adapter '%s' (use lsilogic, pvscsi, lsilogicsas, "
					  "buslogic, ide or legacyESX)", optarg);
				return 2;
			}
			o.adapter = optarg;
			break;
		case 'j':
			if (option_uint("--threads", optarg, 1, 256, &o.threads) < 0)
				return 2;
			break;
		case 'c':
			if (grain_codec_parse(optarg, &o.codec) < 0) {
				log_error("unsupported --compressor '%s' (use libdeflate or zlib)", optarg);
				return 2;
			}
			break;
		case 'l':
			if (option_uint("--level", optarg, 1, 12, &u) < 0)
				return 2;
			o.level = (int)u;
			break;
		case 'p':
			progress = 1;
			break;
		case 'h':
			convert_usage(stdout);
			return 0;
		default:
			convert_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		log_error("convert wants an input and an output file (see 'kiln convert --help')");
		return 2;
	}
	if (!to) {
		log_error("missing --to FORMAT (supported: vmdk)");
		return 2;
	}
	if (strcmp(to, "vmdk") != 0) {
		log_error("unsupported output format --to '%s' (supported: vmdk)", to);
		return 2;
	}
	if (grain_level_check(o.codec, o.level) < 0) {
		log_error("--level %d is out of range for %s", o.level, grain_codec_name(o.codec));
		return 2;
	}
	o.progress = progress;
	return vmdk_stream_convert(argv[optind], argv[optind + 1], &o, NULL) < 0 ? 1 : 0;
}
