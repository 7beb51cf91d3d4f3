/* recipe -> rootfs -> overlay -> raw image; see role_image.h. */
#include "targets/role_image.h"
#include "images/layout.h"
#include "images/recipe.h"
#include "lib/appliance.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/backup.h"
#include "profiles/data_disk.h"
#include "profiles/galera.h"
#include "profiles/monitoring.h"
#include "profiles/mysql_engine.h"
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
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

static char *role_key_path(const char *state, enum role r)
{
	_cleanup_free_ char *name = xasprintf("roles/%s.key", role_name(r));
	return path_join(state, name);
}

int role_image_check_keys(const char *state, const bool want[ROLE__COUNT])
{
	_cleanup_free_ char *op = path_join(state, "operator.pub");
	if (access(op, R_OK) < 0)
		return log_error_errno(errno, "missing operator public key %s: run 'kiln keys init PROFILE' first", op);
	for (int r = 0; r < ROLE__COUNT; r++) {
		if (!want[r])
			continue;
		_cleanup_free_ char *p = role_key_path(state, (enum role)r);
		int c = check_private(p, 0);
		if (c == -ENOENT)
			return log_error_errno(ENOENT, "missing role key %s: run 'kiln keys init PROFILE' first", p);
		if (c == -EPERM)
			return log_error_errno(EPERM, "role key %s is readable by others: chmod 600 it", p);
		if (c < 0)
			return log_error_errno(c, "role key %s", p);
	}
	return 0;
}

static char *exe_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	return xstrdup(dirname(exe));
}

char *role_image_firstboot_default(void)
{
	_cleanup_free_ char *d = exe_dir();
	return d ? path_join(d, "kiln-firstboot") : NULL;
}

char *role_image_installer_default(void)
{
	_cleanup_free_ char *d = exe_dir();
	return d ? path_join(d, "kiln-installer") : NULL;
}

char *role_image_units_default(void)
{
	const char *env = getenv("KILN_FIRSTBOOT_UNITS");
	if (env && *env)
		return xstrdup(env);
	_cleanup_free_ char *d = exe_dir();
	if (!d)
		return NULL;
	const char *cands[] = { "%s/../firstboot/units", "%s/../share/kiln/units" };
	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *c = xasprintf(cands[i], d);
		_cleanup_free_ char *f = path_join(c, kiln_units[0].name);
		if (access(f, R_OK) == 0)
			return TAKE_PTR(c);
	}
	return xstrdup("/usr/share/kiln/units");
}

/* host_path's bytes as path in the image; a secret is wiped after copying. */
static int add_file_from(struct overlay *o, const char *host_path, const char *path, mode_t mode, bool secret)
{
	_cleanup_erase_ char *data = NULL;
	size_t len = 0;
	int e = read_file(host_path, secret ? KEY_MAX : (size_t)64 << 20, &data, &len);
	if (e < 0)
		return log_error_errno(e, "cannot read %s", host_path);
	overlay_add_file(o, path, mode, data, len, secret);
	return 0;
}

static void add_text(struct overlay *o, const char *path, const char *line)
{
	_cleanup_free_ char *text = xasprintf("%s\n", line);
	overlay_add_file(o, path, 0644, text, strlen(text), false);
}

/* The agent's units, enabled the way systemctl would from their [Install]
 * sections (lib/appliance.h lists the targets). */
static int add_units(struct overlay *o, const char *units_dir)
{
	for (size_t i = 0; i < KILN_UNITS_N; i++) {
		_cleanup_free_ char *dir = xasprintf(KILN_WANTS_DIR "/%s.wants", kiln_units[i].wanted_by);
		overlay_add_dir(o, dir, 0755);
	}
	for (size_t i = 0; i < KILN_UNITS_N; i++) {
		_cleanup_free_ char *src = path_join(units_dir, kiln_units[i].name);
		_cleanup_free_ char *dst = path_join(KILN_UNIT_DIR, kiln_units[i].name);
		int e = add_file_from(o, src, dst, 0644, false);
		if (e < 0)
			return e;
		_cleanup_free_ char *link = xasprintf(KILN_WANTS_DIR "/%s.wants/%s", kiln_units[i].wanted_by,
						      kiln_units[i].name);
		overlay_add_symlink(o, link, dst);
	}
	return 0;
}

/* What a role's image carries besides its rootfs: the appliance contract. */
static int role_overlay(const struct role_image_inputs *in, enum role role, struct overlay *o)
{
	int e;
	overlay_add_dir(o, KILN_ETC, 0755);
	add_text(o, KILN_ROLE_FILE, role_name(role));
	_cleanup_free_ char *op = path_join(in->state, "operator.pub");
	if ((e = add_file_from(o, op, KILN_OPERATOR_PUB, 0644, false)) < 0)
		return e;
	_cleanup_free_ char *key = role_key_path(in->state, role);
	if ((e = add_file_from(o, key, KILN_ROLE_KEY, 0600, true)) < 0)
		return e;
	add_text(o, KILN_DEPLOYMENT_FILE, in->m->name);
	if ((e = add_file_from(o, in->firstboot, KILN_FIRSTBOOT_BIN, 0755, false)) < 0 ||
	    (e = add_units(o, in->units_dir)) < 0)
		return e;
	/* The server's tie to its data disk, in the image so that systemd
	 * loads it with the unit (profiles/data_disk.h). */
	const char *server = data_disk_server_unit(in->m, role);
	if (server) {
		_cleanup_free_ char *dropin = data_disk_dropin_path(server), *dir = data_disk_dropin_dir(server);
		struct buf b;
		buf_init(&b);
		data_disk_dropin(data_disk_path(role), &b);
		overlay_add_dir(o, dir, 0755);
		overlay_add_file(o, dropin, 0644, b.data, b.len, false);
		buf_free(&b);
	}
	if (role == ROLE_APP && in->archive) {
		const struct app_archive *ar = in->archive;
		_cleanup_free_ char *dir = xstrdup(KILN_APP_ARCHIVE);
		*strrchr(dir, '/') = 0;
		overlay_add_dir(o, dir, 0755);
		overlay_add_file_from(o, KILN_APP_ARCHIVE, 0600, ar->path, ar->size, ar->sha256);
		_cleanup_free_ char *line = xasprintf("%s  %s\n", ar->sha256, strrchr(KILN_APP_ARCHIVE, '/') + 1);
		overlay_add_file(o, KILN_APP_ARCHIVE_SHA, 0644, line, strlen(line), false);
	}
	/* The user's tree last, so it can replace any of the above. */
	for (size_t i = 0; i < in->user->n; i++) {
		const struct overlay_entry *u = &in->user->v[i];
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

/* The rootfs tar of the role (built or from the cache) and its size. */
static int role_rootfs(const struct role_image_inputs *in, const char *rn, const struct recipe *r, char **tar,
		       uint64_t *size)
{
	struct rootfs_opts ro = {
		.role = rn, .recipe = r, .debian = &in->m->debian,
		.overrides = in->overrides, .n_overrides = in->n_overrides,
		.source_date_epoch = in->source_date_epoch, .refresh = in->refresh, .offline = in->offline,
	};
	bool cached;
	int e = rootfs_build(&ro, tar, &cached);
	if (e < 0)
		return e;
	struct stat st;
	if (stat(*tar, &st) < 0)
		return log_error_errno(errno, "%s", *tar);
	*size = (uint64_t)st.st_size;
	return 0;
}

static int write_image(const struct role_image_inputs *in, enum role role, const char *tar, uint64_t tar_size,
		       unsigned os_gib, const char *out)
{
	const char *rn = role_name(role);
	struct overlay o = { 0 };
	int e = role_overlay(in, role, &o);
	if (e == 0) {
		_cleanup_free_ char *ident = xasprintf("%s/%s", in->m->name, rn);
		struct progress pr = { .role = rn, .total = tar_size, .start = time(NULL) };
		struct layout_opts lo = {
			.tar_path = tar, .out_path = out, .disk_size = (uint64_t)os_gib * GIB, .overlay = o.v,
			.n_overlay = o.n, .cmdline_extra = CMDLINE_EXTRA, .source_date_epoch = in->source_date_epoch,
			.identity = ident, .progress = on_progress, .progress_ud = &pr,
		};
		log_info("[%s] image: writing %s (%u GiB)", rn, out, os_gib);
		e = layout_build(&lo);
	}
	overlay_free(&o);
	return e;
}

const char *role_image_variant(const struct model *m, enum role r)
{
	if (r == ROLE_MYSQL)
		return mysql_engine_of(m->roles.mysql.engine)->recipe_variant;
	return r == ROLE_APP && m->roles.app.type == APP_CONTAINER ? "container" : NULL;
}

int role_image_recipe(const char *recipes, const struct model *m, enum role role, struct recipe *out)
{
	const char *pk[MON_PACKAGES_MAX + BACKUP_PACKAGES_MAX + 1], *units[MON_PACKAGES_MAX];
	size_t npk = monitoring_packages(m, role, pk, MON_PACKAGES_MAX);
	npk += backup_packages(m, role, pk + npk, BACKUP_PACKAGES_MAX);
	npk += galera_packages(m, role, pk + npk, 1);   /* backup: is refused with galera: no duplicate */
	size_t nun = monitoring_disabled_units(m, role, units, MON_PACKAGES_MAX);
	memset(out, 0, sizeof *out);
	int e = recipe_load_role_variant(recipes, role_name(role), role_image_variant(m, role), out);
	if (e == 0)
		e = recipe_add(out, pk, npk, units, nun);   /* what monitoring:, backup: and galera add */
	if (e < 0)
		recipe_free(out);
	return e;
}

int role_image_build(const struct role_image_inputs *in, enum role role, char **os_out, char **data_out,
		     char **tar_out)
{
	*tar_out = NULL;
	const char *rn = role_name(role);
	const struct model *m = in->m;
	struct role_sizing sz;
	role_sizing(m, role, &sz);
	*os_out = *data_out = NULL;
	if (sz.os_disk_gib == 0)
		return log_error_errno(EINVAL, "[%s] no os_disk_gib for the role's hosts", rn);
	struct recipe r = { 0 };
	_cleanup_free_ char *tar = NULL;
	uint64_t tar_size = 0;
	int e = role_image_recipe(in->recipes, m, role, &r);
	if (e == 0)
		e = role_rootfs(in, rn, &r, &tar, &tar_size);
	recipe_free(&r);
	if (e < 0)
		return e;
	/* ext4 metadata and the 256 MiB ESP come on top of the files; a baked
	 * container image is in the image once and unpacked by podman at first
	 * boot (up to twice its size again). */
	uint64_t baked = in->archive && role == ROLE_APP ? in->archive->size : 0;
	uint64_t need = tar_size + tar_size / 10 + baked + baked / 10 + 256 * MIB + 64 * MIB;
	uint64_t boot = need + 2 * baked;
	if (boot > (uint64_t)sz.os_disk_gib * GIB)
		return log_error_errno(ENOSPC, "[%s] os_disk_gib %u is too small: the root filesystem%s needs "
				       "about %" PRIu64 " MiB", rn, sz.os_disk_gib,
				       baked ? " with the container image, loaded at first boot," : " alone", boot / MIB);
	if ((e = check_space(in->out_dir, need)) < 0)
		return e;
	_cleanup_free_ char *out = NULL, *data = NULL;
	_cleanup_free_ char *file = xasprintf("%s-%s.raw", m->name, rn);
	out = path_join(in->out_dir, file);
	if ((e = write_image(in, role, tar, tar_size, sz.os_disk_gib, out)) < 0)
		return e;
	if (sz.data_disk_gib > 0) {
		_cleanup_free_ char *dfile = xasprintf("%s-%s-data.raw", m->name, rn);
		data = path_join(in->out_dir, dfile);
		if ((e = layout_data_disk(data, (uint64_t)sz.data_disk_gib * GIB)) < 0) {
			*os_out = TAKE_PTR(out);   /* written: the caller reports it */
			return e;
		}
	}
	log_info("[%s] done: %s%s%s", rn, out, data ? " + " : "", data ? data : "");
	*os_out = TAKE_PTR(out);
	*data_out = TAKE_PTR(data);
	*tar_out = TAKE_PTR(tar);
	return 0;
}
