/* The build pipeline; see build.h. */
#include "targets/build.h"
#include "images/apt_key.h"
#include "images/artifact.h"
#include "images/recipe.h"
#include "lib/appliance.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "targets/pack.h"
#include "targets/role_image.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct run {
	const struct build_request *req;
	const struct model *m;
	bool want[ROLE__COUNT];
	bool *want_host;                   /* [m->n_hosts]: hosts per-host targets deliver */
	struct buf *seeds;                 /* [m->n_hosts]: their seeds (per-host targets) */
	struct role_images img[ROLE__COUNT];
	char *built[ROLE__COUNT][3];       /* the images this run wrote: os, data; the rootfs tar */
	struct package_opts po;
	struct build_result *res;
	/* image inputs */
	struct overlay user;
	char *firstboot, *units_dir, *recipes;
	struct app_archive archive;
	bool has_archive;
};

static void push(char ***v, size_t *n, char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = s;
}

/* --host: every name a host of the profile, for a target that makes
 * something per host; the roles become theirs. */
static int pick_hosts(struct run *x)
{
	const struct build_request *req = x->req;
	x->want_host = xcalloc(x->m->n_hosts + 1, sizeof *x->want_host);
	x->seeds = xcalloc(x->m->n_hosts + 1, sizeof *x->seeds);
	for (size_t i = 0; i < x->m->n_hosts; i++)
		buf_init(&x->seeds[i]);
	bool per_host = false;
	for (size_t i = 0; req->targets[i]; i++)
		per_host |= target_per_host(req->targets[i]);
	if ((req->n_hosts || req->per_role) && !per_host) {
		_cleanup_free_ char *names = target_names_join(target_per_host, ", ", " or ");
		log_error(req->n_hosts ? "--host picks the hosts of the targets that make something per host (%s)"
				       : "--per-role is for the targets that make something per host (%s)", names);
		return -EINVAL;
	}
	if (!req->n_hosts) {
		for (size_t i = 0; i < x->m->n_hosts; i++)
			x->want_host[i] = x->want[x->m->hosts[i].role];
		return 0;
	}
	bool role[ROLE__COUNT] = { false };
	for (size_t k = 0; k < req->n_hosts; k++) {
		const struct host *h = model_find_host(x->m, req->hosts[k]);
		if (!h) {
			log_error("--host %s: %s has no such host", req->hosts[k], req->profile);
			return -EINVAL;
		}
		x->want_host[h - x->m->hosts] = true;
		role[h->role] = true;
	}
	memcpy(x->want, role, sizeof role);
	return 0;
}

/* The roles to deliver: those given images, or those the profile uses,
 * narrowed by the request's roles. */
static int pick_roles(struct run *x)
{
	const struct build_request *req = x->req;
	if (req->given) {
		for (int r = 0; r < ROLE__COUNT; r++)
			x->want[r] = req->given[r].os_raw != NULL;
		return 0;
	}
	bool used[ROLE__COUNT] = { false }, any = false;
	for (size_t i = 0; i < x->m->n_hosts; i++)
		used[x->m->hosts[i].role] = true;
	for (int r = 0; r < ROLE__COUNT; r++)
		any |= req->roles[r];
	for (int r = 0; r < ROLE__COUNT; r++) {
		if (any && req->roles[r] && !used[r]) {
			log_error("role '%s' is not used by any host in %s", role_name((enum role)r), req->profile);
			return -EINVAL;
		}
		x->want[r] = any ? req->roles[r] : used[r];
	}
	return 0;
}

static const char *override_of(const struct build_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_overrides; i++)
		if (!strcmp(req->overrides[i].name, name))
			return req->overrides[i].path;
	return NULL;
}

/* Every --artifact names an artifact of a role the profile uses (not
 * necessarily one being built: scripts may pass it always), and every
 * artifact of a role being built can be had (artifact_check: a pin, or the
 * file given; MinIO's is only ever given). */
static int check_artifacts(struct run *x)
{
	const struct build_request *req = x->req;
	bool used[ROLE__COUNT] = { false };
	for (size_t i = 0; i < x->m->n_hosts; i++)
		used[x->m->hosts[i].role] = true;
	struct recipe rc[ROLE__COUNT] = { 0 };
	int e = 0;
	for (int r = 0; e == 0 && r < ROLE__COUNT; r++)
		if (used[r])
			e = role_image_recipe(x->recipes, x->m, (enum role)r, &rc[r]);
	for (size_t i = 0; e == 0 && i < req->n_overrides; i++) {
		bool known = false;
		for (int r = 0; r < ROLE__COUNT; r++)
			known |= recipe_has_artifact(&rc[r], req->overrides[i].name);
		if (!known) {
			log_error("--artifact %s: no recipe of the profile's roles has an artifact of that name",
				  req->overrides[i].name);
			e = -EINVAL;
		}
	}
	for (int r = 0; e == 0 && r < ROLE__COUNT; r++)
		for (size_t i = 0; e == 0 && x->want[r] && i < rc[r].n_artifacts; i++)
			e = artifact_check(&rc[r].artifacts[i], override_of(req, rc[r].artifacts[i].name));
	/* Third-party repositories of the profile's suite: their keys. */
	for (int r = 0; e == 0 && r < ROLE__COUNT; r++) {
		if (!x->want[r])
			continue;
		struct recipe s;
		recipe_for_suite(&rc[r], x->m->debian.suite, &s);
		for (size_t i = 0; e == 0 && i < s.n_repos; i++)
			e = apt_repo_key_check(role_name((enum role)r), &s.repos[i]);
		recipe_free(&s);
	}
	for (int r = 0; r < ROLE__COUNT; r++)
		recipe_free(&rc[r]);
	return e;
}

/* A container app's service.archive (relative to the profile): a regular
 * file, its size and sha256 shown; it goes into the app image as is. */
static int check_app_archive(struct run *x)
{
	const struct model *m = x->m;
	if (!x->want[ROLE_APP] || !m->roles.app.archive)
		return 0;
	struct app_archive *a = &x->archive;
	a->path = path_beside(x->req->profile, m->roles.app.archive);
	int fd = open_input(a->path, 0, SIZE_MAX);
	if (fd < 0)
		return log_error_errno(fd, "[app] service.archive %s %s", a->path, input_strerror(fd));
	struct stat st;
	int e = fstat(fd, &st) < 0 ? -errno : 0;
	close(fd);
	if (e == 0 && st.st_size == 0)
		e = -ENODATA;
	if (e == 0)
		e = sha256_file(a->path, a->sha256);
	if (e < 0)
		return log_error_errno(e, "[app] service.archive %s: %s", a->path,
				       e == -ENODATA ? "the file is empty" : "cannot be read");
	a->size = (uint64_t)st.st_size;
	x->has_archive = true;
	log_info("[app] container image archive %s: %" PRIu64 " MiB, sha256 %s (into %s)", a->path,
		 (a->size + (1 << 20) - 1) >> 20, a->sha256, KILN_APP_ARCHIVE);
	return 0;
}

/* Everything building images needs, checked before any long work: first
 * what a profile or the command line can get wrong (recipes, artifacts, the
 * container archive), then the state (made where the caller allows it),
 * the agent and its units. */
static int check_image_inputs(struct run *x)
{
	const struct build_request *req = x->req;
	x->recipes = req->recipes ? xstrdup(req->recipes) : recipe_default_dir();
	int e = check_artifacts(x);
	if (e == 0)
		e = check_app_archive(x);
	if (e == 0 && req->prepare_state)
		e = req->prepare_state(req->seed_ud, x->want);
	if (e == 0)
		e = role_image_check_keys(req->state, x->want);
	if (e == 0 && req->check_keys)
		e = req->check_keys(req->seed_ud, x->want);
	if (e < 0)
		return e;
	x->firstboot = req->firstboot ? xstrdup(req->firstboot) : role_image_firstboot_default();
	if (!x->firstboot || access(x->firstboot, R_OK) < 0) {
		log_error("kiln-firstboot not found next to the kiln binary (%s)", x->firstboot ? x->firstboot : "?");
		return -ENOENT;
	}
	if (req->overlay_dir && (e = overlay_add_tree(&x->user, req->overlay_dir)) < 0)
		return e;
	x->units_dir = req->units_dir ? xstrdup(req->units_dir) : role_image_units_default();
	if (!x->units_dir) {
		log_error("kiln-firstboot units not found (set KILN_FIRSTBOOT_UNITS)");
		return -ENOENT;
	}
	for (size_t i = 0; i < KILN_UNITS_N; i++) {
		_cleanup_free_ char *f = path_join(x->units_dir, kiln_units[i].name);
		if (access(f, R_OK) < 0) {
			log_error("kiln-firstboot unit %s not found (set KILN_FIRSTBOOT_UNITS)", f);
			return -ENOENT;
		}
	}
	if ((e = mkdir_p(req->out_dir, 0755)) < 0)
		return log_error_errno(e, "cannot create output directory %s", req->out_dir);
	return 0;
}

/* The host sets of role r for the per-host targets: one per delivered host,
 * or one of them all with per_role (none when the role has no such host).
 * hosts and seeds back them; sets_free frees all three. */
struct sets {
	struct host_set *v;
	size_t n;
	const struct host **hosts;
	const struct buf **seeds;
};

static void host_sets(const struct run *x, enum role r, struct sets *out)
{
	const struct model *m = x->m;
	memset(out, 0, sizeof *out);
	out->hosts = xcalloc(m->n_hosts + 1, sizeof *out->hosts);
	out->seeds = xcalloc(m->n_hosts + 1, sizeof *out->seeds);
	out->v = xcalloc(m->n_hosts + 1, sizeof *out->v);
	size_t k = 0;
	for (size_t i = 0; i < m->n_hosts; i++) {
		if (m->hosts[i].role != r || !x->want_host[i])
			continue;
		out->hosts[k] = &m->hosts[i];
		out->seeds[k] = &x->seeds[i];
		if (!x->req->per_role)
			out->v[out->n++] = (struct host_set){ r, m->hosts[i].name, &out->hosts[k], &out->seeds[k], 1, false };
		k++;
	}
	if (x->req->per_role && k)
		out->v[out->n++] = (struct host_set){ r, role_name(r), out->hosts, out->seeds, k, true };
}

static void sets_free(struct sets *s)
{
	free(s->v);
	free(s->hosts);
	free(s->seeds);
}

/* Before any long work: each per-host target can make each of its outputs. */
static int check_host_sets(struct run *x, const struct target_ctx *c)
{
	int e = 0;
	for (size_t i = 0; x->req->targets[i]; i++) {
		const struct kiln_target *t = x->req->targets[i];
		for (int r = 0; t->check_hosts && r < ROLE__COUNT; r++) {
			if (!x->want[r])
				continue;
			struct sets s;
			host_sets(x, (enum role)r, &s);
			for (size_t k = 0; k < s.n; k++) {
				int f = t->check_hosts(c, &s.v[k]);
				e = e ? e : f;
			}
			sets_free(&s);
		}
	}
	return e;
}

static bool any_target(const struct kiln_target *const *t, bool (*has)(const struct kiln_target *t))
{
	for (size_t i = 0; t[i]; i++)
		if (has(t[i]))
			return true;
	return false;
}

static bool gives_seed_files(const struct kiln_target *t)
{
	return t->host_seeds;
}

/* Each host of a delivered role gets its seed: OUT/<host>.seed for the
 * targets that hand seeds out (the host's OVF property value or EC2 user
 * data), kept for the per-host targets (the installer media carry it).
 * Made before any image, so a seed a target would refuse stops the build
 * before the long work. */
static int write_seeds(struct run *x)
{
	const struct build_request *req = x->req;
	bool files = any_target(req->targets, gives_seed_files), keep = any_target(req->targets, target_per_host);
	if (!req->make_seed || (!files && !keep))
		return 0;
	for (size_t i = 0; i < x->m->n_hosts; i++) {
		const struct host *h = &x->m->hosts[i];
		if (!x->want[h->role] || !x->want_host[i])
			continue;
		struct buf b;
		buf_init(&b);
		int e = req->make_seed(req->seed_ud, h, &b);
		if (e == 0)
			e = target_seed_check(x->m, req->targets, h->name, b.len);
		if (e == 0 && keep)
			buf_append(&x->seeds[i], b.data, b.len);
		if (e == 0 && files) {
			_cleanup_free_ char *name = xasprintf("%s.seed", h->name);
			char *path = path_join(req->out_dir, name);
			e = write_file_atomic(path, b.data, b.len, 0644);
			if (e < 0) {
				log_error_errno(e, "cannot write %s", path);
				free(path);
			} else {
				if (x->po.progress)
					fprintf(stderr, "kiln: seed for %s written to %s (%zu bytes)\n", h->name, path,
						b.len);
				push(&x->res->seeds, &x->res->n_seeds, path);
			}
		}
		buf_free(&b);
		if (e < 0)
			return e;
	}
	return 0;
}

static int build_images(struct run *x)
{
	const struct build_request *req = x->req;
	struct role_image_inputs in = {
		.m = x->m, .out_dir = req->out_dir, .state = req->state, .recipes = x->recipes,
		.overrides = req->overrides, .n_overrides = req->n_overrides, .user = &x->user,
		.firstboot = x->firstboot, .units_dir = x->units_dir, .refresh = req->refresh, .offline = req->offline,
		.source_date_epoch = req->source_date_epoch, .archive = x->has_archive ? &x->archive : NULL,
	};
	for (int r = 0; r < ROLE__COUNT; r++) {
		if (!x->want[r])
			continue;
		char **p = x->built[r];
		int e = role_image_build(&in, (enum role)r, &p[0], &p[1], &p[2]);
		for (size_t k = 0; k < 2; k++)
			if (p[k])
				push(&x->res->outputs, &x->res->n_outputs, xstrdup(p[k]));
		if (e < 0)
			return e;
		x->img[r] = (struct role_images){ p[0], p[1], p[2] };
	}
	return 0;
}

/* OUT/<deployment>-<target>-README.md: every README is written here. */
static int write_readme(const struct target_ctx *c, const struct kiln_target *t)
{
	struct buf b;
	buf_init(&b);
	t->readme(c, &b);
	_cleanup_free_ char *name = xasprintf("%s-%s-README.md", c->m->name, t->name);
	_cleanup_free_ char *path = path_join(c->out_dir, name);
	int e = pack_write_buf(path, &b);
	buf_free(&b);
	return e;
}

static void target_ctx_init(struct run *x, struct target_ctx *c)
{
	const struct build_request *req = x->req;
	*c = (struct target_ctx){ .m = x->m, .want = x->want, .per_role = req->per_role, .out_dir = req->out_dir,
				  .po = &x->po, .media = req->media, .source_date_epoch = req->source_date_epoch };
}

/* Each requested target: every delivered role's images, then its README.
 * *any: whether some target packaged anything. */
static int package(struct run *x, bool *any)
{
	const struct build_request *req = x->req;
	struct target_ctx c;
	target_ctx_init(x, &c);
	*any = false;
	for (size_t i = 0; req->targets[i]; i++) {
		const struct kiln_target *t = req->targets[i];
		for (int r = 0; (t->package_role || t->package_hosts) && r < ROLE__COUNT; r++) {
			if (!x->want[r])
				continue;
			char *path = NULL;
			int e = t->package_role ? t->package_role(&c, (enum role)r, &x->img[r], &path) : 0;
			if (e < 0)
				return e;
			if (path)
				push(&x->res->outputs, &x->res->n_outputs, path);
			struct sets s = { 0 };
			if (t->package_hosts)
				host_sets(x, (enum role)r, &s);
			for (size_t k = 0; e == 0 && k < s.n; k++) {
				path = NULL;
				if ((e = t->package_hosts(&c, &s.v[k], &x->img[r], &path)) == 0)
					push(&x->res->outputs, &x->res->n_outputs, path);
			}
			sets_free(&s);
			if (e < 0)
				return e;
		}
		if (t->readme) {
			int e = write_readme(&c, t);
			if (e < 0)
				return e;
		}
		*any |= t->package_role || t->package_hosts || t->readme;
	}
	return 0;
}

static int run(struct run *x)
{
	const struct build_request *req = x->req;
	int e = pick_roles(x);
	if (e == 0)
		e = pick_hosts(x);
	struct target_ctx c;
	target_ctx_init(x, &c);
	if (e == 0)
		e = check_host_sets(x, &c);
	if (e == 0 && !req->given)
		e = check_image_inputs(x);
	if (e == 0)
		e = write_seeds(x);
	if (e < 0)
		return e;
	time_t start = time(NULL);
	if (req->given)
		memcpy(x->img, req->given, sizeof x->img);
	else {
		if ((e = build_images(x)) < 0)
			return e;
		log_info("built all images in %lds", (long)(time(NULL) - start));
	}
	bool packaged;
	if ((e = package(x, &packaged)) < 0)
		return e;
	if (!req->given && packaged)
		log_info("built and packaged all images in %lds", (long)(time(NULL) - start));
	return 0;
}

int kiln_build(const struct build_request *req, struct build_result *res)
{
	memset(res, 0, sizeof *res);
	struct run x = { .req = req, .m = req->m, .po = req->po, .res = res };
	x.po.version = KILN_VERSION;
	x.po.mtime = req->source_date_epoch >= 0 ? req->source_date_epoch : (int64_t)time(NULL);
	int e = run(&x);
	for (int r = 0; r < ROLE__COUNT; r++)
		free(x.built[r][0]), free(x.built[r][1]), free(x.built[r][2]);
	for (size_t i = 0; x.seeds && i < req->m->n_hosts; i++)
		buf_wipe(&x.seeds[i]);
	free(x.seeds);
	free(x.want_host);
	overlay_free(&x.user);
	free(x.firstboot);
	free(x.units_dir);
	free(x.recipes);
	free(x.archive.path);
	return e;
}

void build_result_free(struct build_result *res)
{
	for (size_t i = 0; i < res->n_outputs; i++)
		free(res->outputs[i]);
	for (size_t i = 0; i < res->n_seeds; i++)
		free(res->seeds[i]);
	free(res->outputs);
	free(res->seeds);
	memset(res, 0, sizeof *res);
}
