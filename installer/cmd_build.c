/* kiln build PROFILE [--target T]...: the command line of the build pipeline
 * (targets/build.h). Parses the options into a build request, runs
 * kiln_build and prints what it wrote, one path a line. */
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
#include "targets/role_image.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every target but the first, the default. */
static bool not_default(const struct kiln_target *t)
{
	return t != target_all()[0];
}

static void help(FILE *f)
{
	_cleanup_free_ char *others = target_names_join(not_default, ", ", " or ");
	_cleanup_free_ char *bars = target_names_join(NULL, "|", "|");
	fprintf(f, "Usage: kiln build PROFILE [--target %s] [OPTIONS]\n\n"
		   "Build one disk image per role used by PROFILE: OUT/<deployment>-<role>.raw, plus\n"
		   "OUT/<deployment>-<role>-data.raw (blank, sized from the largest data_disk_gib of\n"
		   "the role's hosts) for mysql and minio. The root filesystem comes from the role's\n"
		   "recipe via mmdebstrap and is cached (see docs/build.md). The keys and secrets\n"
		   "'kiln keys init' and 'kiln secrets init' make are made first when missing (and\n"
		   "named on stderr). A container app's service.archive is baked into the app image.\n\n"
		   "Options:\n"
		   "  --target TARGET        %s (default), %s; may repeat (targets below)\n"
		   "  --manifest sha256|sha1 OVA manifest digest (default sha256)\n"
		   "  --sign-key KEY.pem     sign the OVA manifest with this PEM key (with --sign-cert)\n"
		   "  --sign-cert CERT.pem   the certificate put in the OVA's .cert member\n"
		   "  --out DIR              where images go (default: current directory)\n"
		   "  --state DIR            key/secret directory (default .kiln/<deployment> by the profile)\n"
		   "  --role ROLE            build only this role (app, mysql, minio, lb); may repeat\n"
		   "  --host NAME            installer media (iso, usb) for this host only; may repeat\n"
		   "  --per-role             installer media: one per role instead of one per host, with\n"
		   "                         the seed of each of its hosts (or of each --host); the\n"
		   "                         installer picks the host by its install.machine rule\n"
		   "  --version N            the version the media's signed image records (as kiln sign\n"
		   "                         --version; an installed disk refuses a lower one), default 0\n"
		   "  --overlay DIR          add DIR's tree to every image (owners become root)\n"
		   "  --artifact NAME=PATH   use a local file for recipe artifact NAME (minio=minio.deb: MinIO\n"
		   "                         has no download, the minio role needs it)\n"
		   "  --recipes DIR          recipe directory (default: $KILN_RECIPES or the installed set)\n"
		   "  --refresh              rebuild root filesystems even when cached\n"
		   "  --offline              contact no Debian archive: use the newest cached root\n"
		   "                         filesystems (a warning says how old their packages are)\n"
		   "  -h, --help             show this help\n\n"
		   "Targets:\n", bars, target_all()[0]->name, others);
	cli_print_targets(f, NULL);
	fprintf(f, "\nEnvironment: SOURCE_DATE_EPOCH makes images reproducible; KILN_CACHE_DIR moves the cache.\n"
		   "Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

/* Everything the command line says, before the profile is read. */
struct build_args {
	const char *profile, *out_dir, *state, *overlay, *recipes;
	const char **targets;          /* --target names, each known to target_find */
	size_t n_targets;
	const char **hosts;            /* --host */
	size_t n_hosts;
	uint64_t version;
	bool roles[ROLE__COUNT], refresh, offline, per_role;
	struct build_overrides ov;
	struct package_opts po;
};

/* 0, or 2 after a usage error (logged). */
static int parse(int argc, char **argv, struct build_args *a, bool *help_only)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "manifest", required_argument, NULL, 'M' },
		{ "sign-key", required_argument, NULL, 'K' },
		{ "sign-cert", required_argument, NULL, 'C' },
		{ "out", required_argument, NULL, 'o' },
		{ "state", required_argument, NULL, 's' },
		{ "role", required_argument, NULL, 'r' },
		{ "host", required_argument, NULL, 'H' },
		{ "per-role", no_argument, NULL, 'P' },
		{ "version", required_argument, NULL, 'V' },
		{ "overlay", required_argument, NULL, 'O' },
		{ "artifact", required_argument, NULL, 'a' },
		{ "recipes", required_argument, NULL, 'R' },
		{ "refresh", no_argument, NULL, 'F' },
		{ "offline", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!target_find(optarg)) {
				_cleanup_free_ char *known = target_names_join(NULL, ", ", ", ");
				log_error("unsupported --target '%s' (kiln build makes: %s)", optarg, known);
				return 2;
			}
			a->targets = xrealloc(a->targets, (a->n_targets + 1) * sizeof *a->targets);
			a->targets[a->n_targets++] = optarg;
			break;
		case 'M':
			if (ova_digest_parse(optarg, &a->po.digest) < 0) {
				log_error("unsupported --manifest '%s' (use sha256 or sha1)", optarg);
				return 2;
			}
			break;
		case 'K': a->po.sign_key = optarg; break;
		case 'C': a->po.sign_cert = optarg; break;
		case 'o': a->out_dir = optarg; break;
		case 's': a->state = optarg; break;
		case 'r': {
			int r = role_from_name(optarg);
			if (r < 0) {
				log_error("unknown role '%s' (expected one of: app, mysql, minio, lb)", optarg);
				return 2;
			}
			a->roles[r] = true;
			break;
		}
		case 'H':
			a->hosts = xrealloc(a->hosts, (a->n_hosts + 1) * sizeof *a->hosts);
			a->hosts[a->n_hosts++] = optarg;
			break;
		case 'P': a->per_role = true; break;
		case 'V':
			if (option_u64("--version", optarg, 0, UINT64_MAX, &a->version) < 0)
				return 2;
			break;
		case 'O': a->overlay = optarg; break;
		case 'a':
			if (build_overrides_add(&a->ov, optarg) < 0)
				return 2;
			break;
		case 'R': a->recipes = optarg; break;
		case 'F': a->refresh = true; break;
		case 'N': a->offline = true; break;
		case 'h': help(stdout); *help_only = true; return 0;
		default: help(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		log_error("kiln build needs exactly one PROFILE (see --help)");
		return 2;
	}
	a->profile = argv[optind];
	return 0;
}

static int build(const struct build_args *a, const struct kiln_target *const *targets)
{
	struct opened_profile p;
	if (profile_open(a->profile, &p) < 0)
		return 1;
	_cleanup_free_ char *state = state_dir_resolve(a->state, a->profile, p.m.name);
	_cleanup_free_ char *installer = role_image_installer_default();
	struct cli_seeds seeds = { a->profile, &p.m, p.text, p.len, state };
	int64_t sde = build_source_date_epoch();
	struct cli_signer signer = { .state = state, .profile = a->profile, .deployment = p.m.name, .timestamp = sde };
	struct media_inputs media = { .state = state, .installer = installer, .version = a->version, .sign = cli_sign,
				      .ud = &signer };
	struct build_request req = {
		.profile = a->profile, .m = &p.m, .targets = targets, .out_dir = a->out_dir, .state = state,
		.recipes = a->recipes, .overrides = a->ov.v, .n_overrides = a->ov.n, .overlay_dir = a->overlay,
		.refresh = a->refresh, .offline = a->offline, .source_date_epoch = sde, .po = a->po,
		.hosts = a->hosts, .n_hosts = a->n_hosts, .per_role = a->per_role, .media = installer ? &media : NULL,
		.make_seed = cli_make_seed, .prepare_state = cli_prepare_state,
		.check_keys = cli_check_keys, .seed_ud = &seeds,
	};
	memcpy(req.roles, a->roles, sizeof req.roles);
	req.po.progress = isatty(STDERR_FILENO);
	int ret = cli_run(&req);
	cli_signer_free(&signer);
	profile_close(&p);
	return ret;
}

int cmd_build(int argc, char **argv)
{
	struct build_args a = { .out_dir = ".", .po = { .digest = OVA_DIGEST_SHA256 } };
	bool help_only = false;
	int ret = parse(argc, argv, &a, &help_only);
	_cleanup_free_ const struct kiln_target **targets = cli_targets(a.targets, a.n_targets);
	if (ret == 0 && !help_only && cli_check_signing(&a.po, targets) < 0)
		ret = 2;
	if (ret == 0 && !help_only)
		ret = build(&a, targets);
	build_overrides_free(&a.ov);
	free(a.targets);
	free(a.hosts);
	return ret;
}
