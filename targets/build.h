/* kiln's build pipeline as a library entry point, in the way curl's tool
 * drives libcurl: `kiln build` and `kiln package` (installer/) turn their
 * options into one build_request and call kiln_build, which runs
 *   roles -> checks (recipes, artifacts, the app's archive; keys, made by
 *   the caller when missing; agent, units) -> seeds ->
 *   raw images (targets/role_image.h) or the given ones -> each requested
 *   target's packaging and README (targets/target.h)
 * and hands back what it wrote. Logs its errors (and progress on stderr);
 * returns 0 or a negative errno. */
#ifndef KILN_TARGETS_BUILD_H
#define KILN_TARGETS_BUILD_H
#include "images/rootfs.h"
#include "targets/target.h"

struct build_request {
	const char *profile;           /* the profile's path, for messages */
	const struct model *m;
	const struct kiln_target *const *targets;   /* requested, NULL-terminated; run in this order */
	bool roles[ROLE__COUNT];       /* --role; none set: every role the profile uses */
	const char *const *hosts;      /* --host: the hosts per-host targets deliver (and so the roles);
	                                  NULL: every host of the delivered roles */
	size_t n_hosts;
	bool per_role;                 /* --per-role: per-host targets make one output per role, carrying
	                                  those hosts together (targets/target.h, struct host_set) */
	const struct media_inputs *media;   /* for the installer media targets; NULL: none can be made */
	const char *out_dir;           /* created when images are built; must exist when given */
	/* Raw images given, per role (kiln package: the roles with an os_raw are
	 * delivered), or NULL: built from the recipes. */
	const struct role_images *given;
	/* For building images: */
	const char *state;             /* the keys images carry: operator.pub, roles/<role>.key */
	const char *recipes;           /* NULL: recipe_default_dir() */
	const struct artifact_override *overrides;
	size_t n_overrides;
	const char *overlay_dir;       /* a tree laid over every image; NULL: none */
	const char *firstboot;         /* the agent binary; NULL: role_image_firstboot_default() */
	const char *units_dir;         /* its units; NULL: role_image_units_default() */
	bool refresh;                  /* rebuild root filesystems even when cached */
	bool offline;                  /* contact no archive: the newest cached root filesystems */
	int64_t source_date_epoch;     /* <0: unset; also the OVA member times */
	struct package_opts po;        /* .version and .mtime are set by kiln_build */
	/* The seeds step: when a requested target hands its hosts seeds, each
	 * host of a delivered role gets OUT/<host>.seed, checked against the
	 * targets' size limits (target_seed_check). The caller makes the bytes:
	 * its key store signs them and keeps the serial. Logs its errors.
	 * NULL: no seeds. */
	int (*make_seed)(void *ud, const struct host *h, struct buf *out);
	/* Before building images, once the recipes, artifacts and the app's
	 * archive are known to be right: the caller may make the state the
	 * images need when it is missing (kiln build: the keys and secrets, as
	 * `kiln keys init` and `kiln secrets init` make them, saying so). Logs
	 * its errors. NULL: nothing is made. */
	int (*prepare_state)(void *ud, const bool want[ROLE__COUNT]);
	/* Before building images, after the pipeline's own key check: the
	 * caller's key store checks the keys of the roles in want (ownership,
	 * pairs whole; installer/keystore.h). Logs its errors. NULL: none. */
	int (*check_keys)(void *ud, const bool want[ROLE__COUNT]);
	void *seed_ud;                 /* for make_seed, prepare_state and check_keys */
};

struct build_result {
	char **outputs;                /* raw images and packages, in the order written: the CLI prints them */
	size_t n_outputs;
	char **seeds;                  /* the OUT/<host>.seed files */
	size_t n_seeds;
};

/* On failure *res still lists what was written before it. */
int kiln_build(const struct build_request *req, struct build_result *res);
void build_result_free(struct build_result *res);
#endif
