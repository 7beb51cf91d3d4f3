/* kiln package PROFILE --target T --image ROLE=RAW...: the packaging of
 * `kiln build --target T` applied to raw images that already exist (a
 * previous `kiln build --target raw`, or any disk image): the build pipeline
 * (targets/build.h) with the images given instead of built. */
#include "installer/build_cli.h"
#include "installer/build_opts.h"
#include "installer/commands.h"
#include "installer/profile_state.h"
#include "installer/state.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/numparse.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void package_usage(FILE *f)
{
	_cleanup_free_ char *bars = target_names_join(target_packages, "|", "|");
	fprintf(f, "Usage: kiln package PROFILE --target %s --image ROLE=RAW [OPTIONS]\n\n"
		   "Package raw role images for a platform, as 'kiln build --target %s' does:\n", bars, bars);
	cli_print_targets(f, target_packages);
	fprintf(f, "\nOptions:\n"
		   "  --target %-15s platform (required)\n"
		   "  --image ROLE=RAW         the role's bootable raw image; may repeat (one per role)\n"
		   "  --data-image ROLE=RAW    the role's data disk (default: a blank one of the largest\n"
		   "                           data_disk_gib of the role's hosts)\n"
		   "  --out DIR                output directory (default: current directory)\n"
		   "  --state DIR              key/secret directory (default .kiln/<deployment> by the profile)\n"
		   "  --manifest sha256|sha1   OVA manifest digest (default sha256; sha1 for old hosts)\n"
		   "  --sign-key KEY.pem       sign the OVA manifest (.cert member) with this PEM key...\n"
		   "  --sign-cert CERT.pem     ...and embed this PEM certificate (both or neither)\n"
		   "  --threads N              VMDK compression threads (default: all CPUs)\n"
		   "  --no-seeds               do not write host seeds\n"
		   "  --progress               report progress on stderr even when it is not a terminal\n"
		   "  -h, --help               show this help\n\n"
		   "Exit status: 0 ok, 1 failure, 2 usage error.\n", bars);
}

/* "ROLE=PATH" into img[role].os_raw or .data_raw. */
static int parse_image(const char *arg, const char *opt, struct role_images *img, bool data)
{
	const char *eq = strchr(arg, '=');
	char *rn = eq ? xstrndup(arg, (size_t)(eq - arg)) : NULL;
	int r = rn ? role_from_name(rn) : -EINVAL;
	free(rn);
	if (r < 0 || !eq[1]) {
		log_error("%s wants ROLE=PATH with ROLE app, mysql, minio or lb, not '%s'", opt, arg);
		return -EINVAL;
	}
	const char **slot = data ? &img[r].data_raw : &img[r].os_raw;
	if (*slot) {
		log_error("%s given twice for role %s", opt, role_name((enum role)r));
		return -EINVAL;
	}
	*slot = eq + 1;
	return 0;
}

struct package_args {
	const char *profile, *out_dir, *state, *target;
	struct role_images img[ROLE__COUNT];
	bool seeds;
	struct package_opts po;
};

/* 0, 2 after a usage error (logged), or -1 after --help. */
static int parse(int argc, char **argv, struct package_args *a)
{
	static const struct option longopts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "image", required_argument, NULL, 'i' },
		{ "data-image", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "state", required_argument, NULL, 's' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "sign-key", required_argument, NULL, 'K' },
		{ "sign-cert", required_argument, NULL, 'C' },
		{ "threads", required_argument, NULL, 'j' },
		{ "no-seeds", no_argument, NULL, 'N' },
		{ "progress", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 't': a->target = optarg; break;
		case 'i':
			if (parse_image(optarg, "--image", a->img, false) < 0)
				return 2;
			break;
		case 'd':
			if (parse_image(optarg, "--data-image", a->img, true) < 0)
				return 2;
			break;
		case 'o': a->out_dir = optarg; break;
		case 's': a->state = optarg; break;
		case 'm':
			if (ova_digest_parse(optarg, &a->po.digest) < 0) {
				log_error("unsupported --manifest '%s' (use sha256 or sha1)", optarg);
				return 2;
			}
			break;
		case 'K': a->po.sign_key = optarg; break;
		case 'C': a->po.sign_cert = optarg; break;
		case 'j':
			if (option_uint("--threads", optarg, 1, 256, &a->po.threads) < 0)
				return 2;
			break;
		case 'N': a->seeds = false; break;
		case 'p': a->po.progress = 1; break;
		case 'h': package_usage(stdout); return -1;
		default: package_usage(stderr); return 2;
		}
	}
	if (argc - optind != 1) {
		log_error("package wants one PROFILE (see 'kiln package --help')");
		return 2;
	}
	a->profile = argv[optind];
	return 0;
}

/* The one target, which must package. */
static const struct kiln_target *pick_target(const char *name)
{
	_cleanup_free_ char *or = target_names_join(target_packages, ", ", " or ");
	if (!name) {
		log_error("missing --target (%s)", or);
		return NULL;
	}
	const struct kiln_target *t = target_find(name);
	if (!t || !t->package_role) {
		log_error("unsupported --target '%s' (use %s)", name, or);
		return NULL;
	}
	return t;
}

/* Every --data-image has its --image, and there is at least one. */
static int check_images(const struct role_images *img)
{
	bool any = false;
	for (int r = 0; r < ROLE__COUNT; r++) {
		any |= img[r].os_raw != NULL;
		if (img[r].data_raw && !img[r].os_raw) {
			log_error("--data-image for %s without --image %s=RAW", role_name((enum role)r),
				  role_name((enum role)r));
			return -EINVAL;
		}
	}
	if (!any) {
		log_error("missing --image ROLE=RAW (one per role to package)");
		return -EINVAL;
	}
	return 0;
}

static int package(const struct package_args *a, const struct kiln_target *const *targets)
{
	struct opened_profile p;
	if (profile_open(a->profile, &p) < 0)
		return 1;
	struct stat st;
	if (stat(a->out_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_error("output directory %s does not exist", a->out_dir);
		profile_close(&p);
		return 1;
	}
	_cleanup_free_ char *state = state_dir_resolve(a->state, a->profile, p.m.name);
	struct cli_seeds seeds = { a->profile, &p.m, p.text, p.len, state };
	struct build_request req = {
		.profile = a->profile, .m = &p.m, .targets = targets, .out_dir = a->out_dir, .given = a->img,
		.state = state, .source_date_epoch = build_source_date_epoch(), .po = a->po,
		.make_seed = a->seeds ? cli_make_seed : NULL, .seed_ud = &seeds,
	};
	int ret = cli_run(&req);
	profile_close(&p);
	return ret;
}

int cmd_package(int argc, char **argv)
{
	struct package_args a = {
		.out_dir = ".", .seeds = true,
		.po = { .digest = OVA_DIGEST_SHA256, .progress = isatty(STDERR_FILENO) },
	};
	int r = parse(argc, argv, &a);
	if (r != 0)
		return r < 0 ? 0 : r;
	const struct kiln_target *t = pick_target(a.target);
	if (!t)
		return 2;
	const struct kiln_target *targets[] = { t, NULL };
	if (cli_check_signing(&a.po, targets) < 0 || check_images(a.img) < 0)
		return 2;
	return package(&a, targets);
}
