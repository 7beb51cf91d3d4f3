/* kiln package PROFILE --target esxi|ec2 --image ROLE=RAW...: the platform
 * packaging of `kiln build --target esxi|ec2` applied to raw images that
 * already exist (a previous `kiln build --target raw`, or any disk image). */
#include "installer/build_opts.h"
#include "installer/commands.h"
#include "installer/deliver.h"
#include "installer/state.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/profile.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void package_usage(FILE *f)
{
	fprintf(f, "Usage: kiln package PROFILE --target esxi|ec2 --image ROLE=RAW [OPTIONS]\n\n"
		   "Package raw role images for a platform, as 'kiln build --target esxi|ec2' does:\n"
		   "  esxi  OUT/<deployment>-<role>.ova (OVF + manifest + streamOptimized VMDKs)\n"
		   "  ec2   OUT/<deployment>-<role>.vmdk, .import-snapshot.json, .register-image.json\n"
		   "        and OUT/<deployment>-ec2-README.md\n"
		   "and OUT/<host>.seed for every host of the packaged roles (needs 'kiln keys init'\n"
		   "and 'kiln secrets init'; EC2 refuses seeds over 16 KB).\n\n"
		   "Options:\n"
		   "  --target esxi|ec2        platform (required)\n"
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
		   "Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

/* "ROLE=PATH" into img[role].os_raw or .data_raw. */
static int parse_image(const char *arg, const char *opt, struct deliver_ctx *c, bool data)
{
	const char *eq = strchr(arg, '=');
	char *rn = eq ? xstrndup(arg, (size_t)(eq - arg)) : NULL;
	int r = rn ? role_from_name(rn) : -EINVAL;
	free(rn);
	if (r < 0 || !eq[1]) {
		log_error("%s wants ROLE=PATH with ROLE app, mysql or minio, not '%s'", opt, arg);
		return -EINVAL;
	}
	const char **slot = data ? &c->img[r].data_raw : &c->img[r].os_raw;
	if (*slot) {
		log_error("%s given twice for role %s", opt, role_name((enum role)r));
		return -EINVAL;
	}
	*slot = eq + 1;
	if (!data)
		c->want[r] = true;
	return 0;
}

int cmd_package(int argc, char **argv)
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
	struct deliver_ctx c = { .out_dir = ".", .seeds = true };
	c.po.digest = OVA_DIGEST_SHA256;
	c.po.version = KILN_VERSION;
	c.po.progress = isatty(STDERR_FILENO);
	const char *target = NULL, *state_opt = NULL;
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 't': target = optarg; break;
		case 'i':
			if (parse_image(optarg, "--image", &c, false) < 0)
				return 2;
			break;
		case 'd':
			if (parse_image(optarg, "--data-image", &c, true) < 0)
				return 2;
			break;
		case 'o': c.out_dir = optarg; break;
		case 's': state_opt = optarg; break;
		case 'm':
			if (ova_digest_parse(optarg, &c.po.digest) < 0) {
				log_error("unsupported --manifest '%s' (use sha256 or sha1)", optarg);
				return 2;
			}
			break;
		case 'K': c.po.sign_key = optarg; break;
		case 'C': c.po.sign_cert = optarg; break;
		case 'j': {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-' || v < 1 || v > 256) {
				log_error("--threads wants a number from 1 to 256, not '%s'", optarg);
				return 2;
			}
			c.po.threads = (unsigned)v;
			break;
		}
		case 'N': c.seeds = false; break;
		case 'p': c.po.progress = 1; break;
		case 'h': package_usage(stdout); return 0;
		default: package_usage(stderr); return 2;
		}
	}
	if (argc - optind != 1) {
		log_error("package wants one PROFILE (see 'kiln package --help')");
		return 2;
	}
	enum deliver_target t;
	if (!target) {
		log_error("missing --target (esxi or ec2)");
		return 2;
	}
	if (!strcmp(target, "esxi"))
		t = DELIVER_ESXI;
	else if (!strcmp(target, "ec2"))
		t = DELIVER_EC2;
	else {
		log_error("unsupported --target '%s' (use esxi or ec2)", target);
		return 2;
	}
	if (!!c.po.sign_key != !!c.po.sign_cert) {
		log_error("--sign-key and --sign-cert go together");
		return 2;
	}
	if (c.po.sign_key && t != DELIVER_ESXI) {
		log_error("--sign-key/--sign-cert sign an OVA: they need --target esxi");
		return 2;
	}
	bool any = false;
	for (int r = 0; r < ROLE__COUNT; r++) {
		any |= c.want[r];
		if (c.img[r].data_raw && !c.want[r]) {
			log_error("--data-image for %s without --image %s=RAW", role_name((enum role)r),
				  role_name((enum role)r));
			return 2;
		}
	}
	if (!any) {
		log_error("missing --image ROLE=RAW (one per role to package)");
		return 2;
	}
	int64_t sde = build_source_date_epoch();
	c.po.mtime = sde >= 0 ? sde : (int64_t)time(NULL);

	const char *profile = argv[optind];
	char *text = NULL, *state = NULL;
	struct model m;
	struct diags d = { 0 };
	int ret = 1, e = read_file(profile, PROFILE_MAX_BYTES, &text, &c.tlen);
	if (e < 0) {
		log_error_errno(e, "cannot read %s", profile);
		free(text);
		return 1;
	}
	if (profile_load_buffer(profile, text, c.tlen, &m, &d) < 0) {
		diags_print(&d, stderr);
		log_error("%s: %zu error%s in profile", profile, d.n, d.n == 1 ? "" : "s");
		diags_free(&d);
		free(text);
		return 1;
	}
	struct stat st;
	if (stat(c.out_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_error("output directory %s does not exist", c.out_dir);
		goto out;
	}
	state = state_dir_resolve(state_opt, profile, m.name);
	c.profile = profile;
	c.m = &m;
	c.text = text;
	c.state = state;
	if (deliver(&c, t) == 0)
		ret = 0;
out:
	free(state);
	diags_free(&d);
	model_free(&m);
	free(text);
	return ret;
}
