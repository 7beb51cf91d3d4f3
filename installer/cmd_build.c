/* kiln build PROFILE --target raw|esxi|ec2: for every role the profile uses,
 * recipe -> cached rootfs tar -> role overlay -> layout_build() -> a raw
 * disk image (plus a blank data disk for mysql and minio); for esxi/ec2 the
 * raw images are then packaged (installer/deliver.h) and each host gets its
 * seed. */
#include "images/layout.h"
#include "images/recipe.h"
#include "images/rootfs.h"
#include "installer/build_opts.h"
#include "installer/commands.h"
#include "installer/deliver.h"
#include "images/overlay_tree.h"
#include "installer/state.h"
#include "lib/appliance.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/profile.h"
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define GIB (UINT64_C(1) << 30)
#define MIB (UINT64_C(1) << 20)
/* Kernel messages go to both the screen and the first serial port; the
 * last console= becomes /dev/console (systemd's status, emergency shell),
 * so serial comes last: headless hypervisors and the QEMU tests read it. */
#define CMDLINE_EXTRA "console=tty0 console=ttyS0,115200"
#define KEY_MAX 4096

static void help(FILE *f)
{
	fprintf(f, "Usage: kiln build PROFILE [--target raw|esxi|ec2] [OPTIONS]\n\n"
		   "Build one disk image per role used by PROFILE: OUT/<deployment>-<role>.raw, plus\n"
		   "OUT/<deployment>-<role>-data.raw (blank, sized from the largest data_disk_gib of\n"
		   "the role's hosts) for mysql and minio. The root filesystem comes from the role's\n"
		   "recipe via mmdebstrap and is cached (see docs/build.md). Needs the keys made by\n"
		   "'kiln keys init'.\n\n"
		   "Options:\n"
		   "  --target TARGET        raw (default), esxi or ec2; may repeat. esxi adds\n"
		   "                         OUT/<deployment>-<role>.ova, ec2 the import kit (VMDK,\n"
		   "                         JSON, README); both write OUT/<host>.seed per host\n"
		   "                         (needs 'kiln secrets init'; see docs/esxi-ec2.md)\n"
		   "  --manifest sha256|sha1 OVA manifest digest (default sha256)\n"
		   "  --sign-key KEY.pem     sign the OVA manifest with this PEM key (with --sign-cert)\n"
		   "  --sign-cert CERT.pem   the certificate put in the OVA's .cert member\n"
		   "  --out DIR              where images go (default: current directory)\n"
		   "  --state DIR            key/secret directory (default .kiln/<deployment> by the profile)\n"
		   "  --role ROLE            build only this role (app, mysql, minio); may repeat\n"
		   "  --overlay DIR          add DIR's tree to every image (owners become root)\n"
		   "  --artifact NAME=PATH   use a local file for recipe artifact NAME (e.g. minio=minio.deb)\n"
		   "  --recipes DIR          recipe directory (default: $KILN_RECIPES or the installed set)\n"
		   "  --refresh              rebuild root filesystems even when cached\n"
		   "  -h, --help             show this help\n\n"
		   "Environment: SOURCE_DATE_EPOCH makes images reproducible; KILN_CACHE_DIR moves the cache.\n"
		   "Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

struct build_ctx {
	const struct model *m;
	const char *out_dir;
	const char *state;
	const char *recipes;
	const struct build_overrides *ov;
	const struct overlay *user_overlay;
	const char *firstboot;
	const char *units_dir;
	bool refresh;
	int64_t sde;
};

static char *exe_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	return xstrdup(dirname(exe));
}

static char *firstboot_path(void)
{
	char *d = exe_dir();
	char *p = d ? path_join(d, "kiln-firstboot") : NULL;
	free(d);
	return p;
}

/* The agent's systemd units: $KILN_FIRSTBOOT_UNITS, else firstboot/units in
 * the source tree the kiln binary was built in, else share/kiln/units. */
static char *firstboot_units_dir(void)
{
	const char *env = getenv("KILN_FIRSTBOOT_UNITS");
	if (env && *env)
		return xstrdup(env);
	char *d = exe_dir();
	if (!d)
		return NULL;
	const char *cands[] = { "%s/../firstboot/units", "%s/../share/kiln/units" };
	for (size_t i = 0; i < 2; i++) {
		char *c = xasprintf(cands[i], d);
		char *f = path_join(c, kiln_units[0].name);
		bool ok = access(f, R_OK) == 0;
		free(f);
		if (ok) {
			free(d);
			return c;
		}
		free(c);
	}
	free(d);
	return xstrdup("/usr/share/kiln/units");
}

/* Check every key before any long work starts. */
static int check_keys(const char *state, const bool *want)
{
	char *p = path_join(state, "operator.pub");
	int e = 0;
	if (access(p, R_OK) < 0)
		e = log_error_errno(errno, "missing operator public key %s: run 'kiln keys init PROFILE' first", p);
	free(p);
	for (int r = 0; e == 0 && r < ROLE__COUNT; r++) {
		if (!want[r])
			continue;
		char *name = xasprintf("roles/%s.key", role_name((enum role)r));
		p = path_join(state, name);
		free(name);
		int c = check_private(p, 0);
		if (c == -ENOENT)
			e = log_error_errno(ENOENT, "missing role key %s: run 'kiln keys init PROFILE' first", p);
		else if (c == -EPERM)
			e = log_error_errno(EPERM, "role key %s is readable by others: chmod 600 it", p);
		else if (c < 0)
			e = log_error_errno(c, "role key %s", p);
		free(p);
	}
	return e;
}

static int add_file_from(struct overlay *o, const char *host_path, const char *path, mode_t mode, bool secret)
{
	char *data = NULL;
	size_t len = 0;
	int e = read_file(host_path, secret ? KEY_MAX : (size_t)64 << 20, &data, &len);
	if (e < 0)
		return log_error_errno(e, "cannot read %s", host_path);
	overlay_add_file(o, path, mode, data, len, secret);
	if (secret)
		sodium_memzero(data, len);
	free(data);
	return 0;
}

static int role_overlay(const struct build_ctx *b, enum role role, struct overlay *o)
{
	const char *rn = role_name(role);
	int e;
	overlay_add_dir(o, KILN_ETC, 0755);
	char *text = xasprintf("%s\n", rn);
	overlay_add_file(o, KILN_ROLE_FILE, 0644, text, strlen(text), false);
	free(text);
	char *p = path_join(b->state, "operator.pub");
	e = add_file_from(o, p, KILN_OPERATOR_PUB, 0644, false);
	free(p);
	if (e < 0)
		return e;
	char *name = xasprintf("roles/%s.key", rn);
	p = path_join(b->state, name);
	free(name);
	e = add_file_from(o, p, KILN_ROLE_KEY, 0600, true);
	free(p);
	if (e < 0)
		return e;
	text = xasprintf("%s\n", b->m->name);
	overlay_add_file(o, KILN_DEPLOYMENT_FILE, 0644, text, strlen(text), false);
	free(text);
	if ((e = add_file_from(o, b->firstboot, KILN_FIRSTBOOT_BIN, 0755, false)) < 0)
		return e;
	/* The agent's units, enabled the way systemctl would (their [Install]
	 * sections name the targets; lib/appliance.h lists them). */
	for (size_t i = 0; i < KILN_UNITS_N; i++) {
		char *dir = xasprintf(KILN_WANTS_DIR "/%s.wants", kiln_units[i].wanted_by);
		overlay_add_dir(o, dir, 0755);
		free(dir);
	}
	for (size_t i = 0; i < KILN_UNITS_N; i++) {
		char *src = path_join(b->units_dir, kiln_units[i].name);
		char *dst = path_join(KILN_UNIT_DIR, kiln_units[i].name);
		e = add_file_from(o, src, dst, 0644, false);
		free(src);
		if (e == 0) {
			char *link = xasprintf(KILN_WANTS_DIR "/%s.wants/%s", kiln_units[i].wanted_by, kiln_units[i].name);
			overlay_add_symlink(o, link, dst);
			free(link);
		}
		free(dst);
		if (e < 0)
			return e;
	}
	/* The user's tree last, so it can replace any of the above. */
	for (size_t i = 0; i < b->user_overlay->n; i++) {
		const struct overlay_entry *u = &b->user_overlay->v[i];
		if (u->type == OVERLAY_DIR)
			overlay_add_dir(o, u->path, u->mode);
		else if (u->type == OVERLAY_SYMLINK)
			overlay_add_symlink(o, u->path, u->target);
		else
			overlay_add_file(o, u->path, u->mode, u->data, u->len, false);
	}
	return 0;
}

struct progress {
	const char *role;
	uint64_t total, next;
	time_t start;
};

static void on_progress(void *ud, uint64_t done)
{
	struct progress *p = ud;
	if (done < p->next)
		return;
	log_info("[%s] image: %" PRIu64 " / %" PRIu64 " MiB of rootfs written (%lds)", p->role,
		 done / MIB, p->total / MIB, (long)(time(NULL) - p->start));
	p->next = done + (p->total / 10 > 0 ? p->total / 10 : 1);
}

/* Sparse images still need room for the data they hold: refuse early
 * rather than dying half-way with ENOSPC. */
static int check_space(const char *dir, uint64_t need)
{
	struct statvfs v;
	if (statvfs(dir, &v) < 0)
		return log_error_errno(errno, "cannot stat %s", dir);
	uint64_t avail = (uint64_t)v.f_bavail * v.f_frsize;
	if (avail < need)
		return log_error_errno(ENOSPC, "not enough disk space in %s: the image needs about %" PRIu64
				       " MiB, %" PRIu64 " MiB are free", dir, need / MIB, avail / MIB);
	return 0;
}

/* OUT/<deployment>-<role><suffix>, kept in *keep for freeing. */
static const char *b_raw_path(const struct model *m, const char *out_dir, enum role r, const char *suffix,
			      char **keep)
{
	*keep = package_path(out_dir, m, r, suffix);
	return *keep;
}

static int build_role(const struct build_ctx *b, enum role role)
{
	const char *rn = role_name(role);
	const struct model *m = b->m;
	struct recipe r = { 0 };
	struct overlay o = { 0 };
	char *tar = NULL, *out = NULL, *data_out = NULL;
	int e;
	unsigned os_gib = 0, data_gib = 0;

	for (size_t i = 0; i < m->n_hosts; i++) {
		if (m->hosts[i].role != role)
			continue;
		if (m->hosts[i].size.os_disk_gib > os_gib)
			os_gib = m->hosts[i].size.os_disk_gib;
		if (m->hosts[i].size.data_disk_gib > data_gib)
			data_gib = m->hosts[i].size.data_disk_gib;
	}
	if (os_gib == 0) {
		e = log_error_errno(EINVAL, "[%s] no os_disk_gib for the role's hosts", rn);
		goto out;
	}
	if ((e = recipe_load_role(b->recipes, rn, &r)) < 0)
		goto out;
	struct rootfs_opts ro = {
		.role = rn, .recipe = &r, .suite = m->suite, .mirror = m->mirror,
		.overrides = b->ov->v, .n_overrides = b->ov->n, .source_date_epoch = b->sde,
		.refresh = b->refresh,
	};
	bool cached;
	if ((e = rootfs_build(&ro, &tar, &cached)) < 0)
		goto out;

	struct stat st;
	if (stat(tar, &st) < 0) {
		e = log_error_errno(errno, "%s", tar);
		goto out;
	}
	uint64_t disk = (uint64_t)os_gib * GIB;
	/* ext4 metadata and the 256 MiB ESP come on top of the files. */
	uint64_t need = (uint64_t)st.st_size + (uint64_t)st.st_size / 10 + 256 * MIB + 64 * MIB;
	if (need > disk) {
		e = log_error_errno(ENOSPC, "[%s] os_disk_gib %u is too small: the root filesystem alone needs "
				    "about %" PRIu64 " MiB", rn, os_gib, need / MIB);
		goto out;
	}
	if ((e = check_space(b->out_dir, need)) < 0)
		goto out;

	if ((e = role_overlay(b, role, &o)) < 0)
		goto out;
	char *file = xasprintf("%s-%s.raw", m->name, rn);
	out = path_join(b->out_dir, file);
	free(file);
	char *ident = xasprintf("%s/%s", m->name, rn);
	struct progress pr = { .role = rn, .total = (uint64_t)st.st_size, .start = time(NULL) };
	struct layout_opts lo = {
		.tar_path = tar, .out_path = out, .disk_size = disk, .overlay = o.v, .n_overlay = o.n,
		.cmdline_extra = CMDLINE_EXTRA, .source_date_epoch = b->sde, .identity = ident,
		.progress = on_progress, .progress_ud = &pr,
	};
	log_info("[%s] image: writing %s (%u GiB)", rn, out, os_gib);
	e = layout_build(&lo);
	free(ident);
	if (e < 0)
		goto out;
	printf("%s\n", out);
	if ((role == ROLE_MYSQL || role == ROLE_MINIO) && data_gib > 0) {
		file = xasprintf("%s-%s-data.raw", m->name, rn);
		data_out = path_join(b->out_dir, file);
		free(file);
		if ((e = layout_data_disk(data_out, (uint64_t)data_gib * GIB)) < 0)
			goto out;
		printf("%s\n", data_out);
	}
	log_info("[%s] done: %s%s%s", rn, out, data_out ? " + " : "", data_out ? data_out : "");
out:
	overlay_free(&o);
	recipe_free(&r);
	free(tar);
	free(out);
	free(data_out);
	return e;
}

int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "manifest", required_argument, NULL, 'M' },
		{ "sign-key", required_argument, NULL, 'K' },
		{ "sign-cert", required_argument, NULL, 'C' },
		{ "out", required_argument, NULL, 'o' },
		{ "state", required_argument, NULL, 's' },
		{ "role", required_argument, NULL, 'r' },
		{ "overlay", required_argument, NULL, 'O' },
		{ "artifact", required_argument, NULL, 'a' },
		{ "recipes", required_argument, NULL, 'R' },
		{ "refresh", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *out_dir = ".", *state_opt = NULL, *overlay_dir = NULL, *recipes_opt = NULL;
	bool want[ROLE__COUNT] = { false }, any_role = false, refresh = false;
	struct build_overrides ov = { 0 };
	struct overlay user = { 0 };
	struct model m;
	struct diags d = { 0 };
	bool model_loaded = false;
	char *state = NULL, *recipes = NULL, *fb = NULL, *units = NULL;
	char *text = NULL, *raw_paths[ROLE__COUNT][2] = { { NULL } };
	bool targets[2] = { false };   /* enum deliver_target */
	struct package_opts po = { .version = KILN_VERSION, .digest = OVA_DIGEST_SHA256 };
	int c, ret = 2;

	memset(&m, 0, sizeof m);
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!strcmp(optarg, "esxi"))
				targets[DELIVER_ESXI] = true;
			else if (!strcmp(optarg, "ec2"))
				targets[DELIVER_EC2] = true;
			else if (strcmp(optarg, "raw")) {
				log_error("unsupported --target '%s' (kiln build makes: raw, esxi, ec2)", optarg);
				goto out;
			}
			break;
		case 'M':
			if (ova_digest_parse(optarg, &po.digest) < 0) {
				log_error("unsupported --manifest '%s' (use sha256 or sha1)", optarg);
				goto out;
			}
			break;
		case 'K': po.sign_key = optarg; break;
		case 'C': po.sign_cert = optarg; break;
		case 'o': out_dir = optarg; break;
		case 's': state_opt = optarg; break;
		case 'r': {
			int r = role_from_name(optarg);
			if (r < 0) {
				log_error("unknown role '%s' (expected one of: app, mysql, minio)", optarg);
				goto out;
			}
			want[r] = any_role = true;
			break;
		}
		case 'O': overlay_dir = optarg; break;
		case 'a':
			if (build_overrides_add(&ov, optarg) < 0)
				goto out;
			break;
		case 'R': recipes_opt = optarg; break;
		case 'F': refresh = true; break;
		case 'h': help(stdout); ret = 0; goto out;
		default: help(stderr); goto out;
		}
	}
	if (optind != argc - 1) {
		log_error("kiln build needs exactly one PROFILE (see --help)");
		goto out;
	}
	if (!!po.sign_key != !!po.sign_cert) {
		log_error("--sign-key and --sign-cert go together");
		goto out;
	}
	if (po.sign_key && !targets[DELIVER_ESXI]) {
		log_error("--sign-key/--sign-cert sign an OVA: they need --target esxi");
		goto out;
	}
	ret = 1;
	/* The bytes parsed here are also each seed's topology. */
	size_t tlen;
	int le = read_file(argv[optind], PROFILE_MAX_BYTES, &text, &tlen);
	if (le < 0) {
		log_error_errno(le, "cannot read profile %s", argv[optind]);
		goto out;
	}
	if (profile_load_buffer(argv[optind], text, tlen, &m, &d) < 0) {
		diags_print(&d, stderr);
		if (!d.n)
			log_error("cannot load profile %s", argv[optind]);
		goto out;
	}
	model_loaded = true;

	/* Which roles: those the profile uses, narrowed by --role. */
	bool used[ROLE__COUNT] = { false };
	for (size_t i = 0; i < m.n_hosts; i++)
		used[m.hosts[i].role] = true;
	for (int r = 0; r < ROLE__COUNT; r++) {
		if (any_role && want[r] && !used[r]) {
			log_error("role '%s' is not used by any host in %s", role_name((enum role)r), argv[optind]);
			goto out;
		}
		if (!any_role)
			want[r] = used[r];
	}

	state = state_dir_resolve(state_opt, argv[optind], m.name);
	if (check_keys(state, want) < 0)
		goto out;
	fb = firstboot_path();
	if (!fb || access(fb, R_OK) < 0) {
		log_error("kiln-firstboot not found next to the kiln binary (%s)", fb ? fb : "?");
		goto out;
	}
	if (overlay_dir && overlay_add_tree(&user, overlay_dir) < 0)
		goto out;
	units = firstboot_units_dir();
	for (size_t i = 0; units && i < KILN_UNITS_N; i++) {
		char *f = path_join(units, kiln_units[i].name);
		int a = access(f, R_OK);
		if (a < 0)
			log_error("kiln-firstboot unit %s not found (set KILN_FIRSTBOOT_UNITS)", f);
		free(f);
		if (a < 0)
			goto out;
	}
	recipes = recipes_opt ? xstrdup(recipes_opt) : recipe_default_dir();
	int e = mkdir_p(out_dir, 0755);
	if (e < 0) {
		log_error_errno(e, "cannot create output directory %s", out_dir);
		goto out;
	}

	/* Every --artifact must name an artifact of a role the profile uses
	 * (not necessarily one being built: scripts may pass it always). */
	for (size_t i = 0; i < ov.n; i++) {
		bool known = false;
		for (int r = 0; r < ROLE__COUNT && !known; r++) {
			struct recipe rc = { 0 };
			if (used[r] && recipe_load_role(recipes, role_name((enum role)r), &rc) < 0) {
				recipe_free(&rc);
				goto out;
			}
			known = used[r] && recipe_has_artifact(&rc, ov.v[i].name);
			recipe_free(&rc);
		}
		if (!known) {
			log_error("--artifact %s: no recipe of the profile's roles has an artifact of that name",
				  ov.v[i].name);
			goto out;
		}
	}

	struct build_ctx b = {
		.m = &m, .out_dir = out_dir, .state = state, .recipes = recipes, .ov = &ov,
		.user_overlay = &user, .firstboot = fb, .units_dir = units, .refresh = refresh,
		.sde = build_source_date_epoch(),
	};
	/* Seeds first: a seed EC2 would refuse stops the build before the long work. */
	po.mtime = b.sde >= 0 ? b.sde : (int64_t)time(NULL);
	po.progress = isatty(STDERR_FILENO);
	struct deliver_ctx dc = {
		.profile = argv[optind], .m = &m, .text = text, .tlen = tlen, .state = state, .out_dir = out_dir,
		.po = po, .seeds = true,
	};
	for (int r = 0; r < ROLE__COUNT; r++) {
		dc.want[r] = want[r];
		dc.img[r].os_raw = b_raw_path(&m, out_dir, (enum role)r, ".raw", &raw_paths[r][0]);
		dc.img[r].data_raw = b_raw_path(&m, out_dir, (enum role)r, "-data.raw", &raw_paths[r][1]);
	}
	/* One seed per host serves both targets; ec2 adds the user-data size limit. */
	if ((targets[DELIVER_EC2] || targets[DELIVER_ESXI]) &&
	    deliver_seeds(&dc, targets[DELIVER_EC2] ? DELIVER_EC2 : DELIVER_ESXI) < 0)
		goto out;
	time_t start = time(NULL);
	for (int r = 0; r < ROLE__COUNT; r++)
		if (want[r] && build_role(&b, (enum role)r) < 0)
			goto out;
	log_info("built all images in %lds", (long)(time(NULL) - start));
	for (int r = 0; r < ROLE__COUNT; r++) {
		struct role_sizing sz;
		role_sizing(&m, (enum role)r, &sz);
		if (!sz.data_disk_gib)
			dc.img[r].data_raw = NULL;   /* build_role made no data disk */
	}
	for (int t = 0; t < 2; t++)
		if (targets[t] && deliver_packages(&dc, (enum deliver_target)t) < 0)
			goto out;
	if (targets[DELIVER_ESXI] || targets[DELIVER_EC2])
		log_info("built and packaged all images in %lds", (long)(time(NULL) - start));
	ret = 0;
out:
	for (int r = 0; r < ROLE__COUNT; r++)
		free(raw_paths[r][0]), free(raw_paths[r][1]);
	free(text);
	if (model_loaded)
		model_free(&m);
	diags_free(&d);
	overlay_free(&user);
	build_overrides_free(&ov);
	free(state);
	free(recipes);
	free(fb);
	free(units);
	return ret;
}
