/* One role's raw disk images, as kiln build makes them: the role's recipe ->
 * the cached rootfs tar (images/rootfs.h) -> the tar with the role overlay
 * (the appliance contract files of lib/appliance.h, the agent and its units,
 * the operator's overlay; for a container app the image archive) ->
 * images/layout.h -> OUT/<deployment>-<role>.raw,
 * and for the roles with a data disk a blank OUT/<deployment>-<role>-data.raw
 * of the role's data_disk_gib. Part of the build pipeline (build.h); every
 * function logs its errors and returns 0 or a negative errno. */
#ifndef KILN_TARGETS_ROLE_IMAGE_H
#define KILN_TARGETS_ROLE_IMAGE_H
#include "images/overlay_tree.h"
#include "images/recipe.h"
#include "images/rootfs.h"
#include "profiles/model.h"
#include <stdbool.h>

struct role_image_inputs {
	const struct model *m;
	const char *out_dir;
	const char *state;                 /* operator.pub, roles/<role>.key */
	const char *recipes;
	const struct artifact_override *overrides;
	size_t n_overrides;
	const struct overlay *user;        /* laid over everything else */
	const char *firstboot, *units_dir;
	bool refresh, offline;             /* images/rootfs.h */
	int64_t source_date_epoch;         /* <0: unset */
	const struct app_archive *archive; /* the app role's baked container image, or NULL */
};

/* A container app's service.archive as build checks it: the file, its size
 * and sha256; role_image_build copies it to KILN_APP_ARCHIVE. */
struct app_archive {
	char *path;                        /* resolved against the profile's directory */
	uint64_t size;
	char sha256[65];
};

/* The recipe variant role r takes for this profile (recipe.h), or NULL:
 * "container" for the app role of a container app, "mysql" for the mysql
 * role of roles.mysql.engine: mysql (profiles/mysql_engine.h). */
const char *role_image_variant(const struct model *m, enum role r);

/* The recipe role r's image is built from for this profile: the role's
 * recipe with its variant (role_image_variant), plus the packages the
 * profile's monitoring:, backup: and galera cluster add and the units
 * monitoring: disables. kiln build and `kiln rootfs ROLE --profile` both take
 * it, so both reach the same rootfs cache key. On error *out is empty. */
int role_image_recipe(const char *recipes, const struct model *m, enum role r, struct recipe *out);

/* Every key an image of a role in want[] needs, before any long work. */
int role_image_check_keys(const char *state, const bool want[ROLE__COUNT]);

/* Where the agent comes from when the caller does not say: kiln-firstboot
 * next to the running program; its units from $KILN_FIRSTBOOT_UNITS, else
 * firstboot/units in the source tree the program was built in, else
 * share/kiln/units beside it, else /usr/share/kiln/units. malloc'd; the
 * first is NULL when the program's path is unknown. */
char *role_image_firstboot_default(void);
/* kiln-installer (the installer media's /init) next to the running program. */
char *role_image_installer_default(void);
char *role_image_units_default(void);

/* Builds role r's images; *os_out and *data_out (NULL: the role has no data
 * disk) are the paths written, *tar_out the rootfs tar they came from (the
 * cache's), all malloc'd. */
int role_image_build(const struct role_image_inputs *in, enum role r, char **os_out, char **data_out,
		     char **tar_out);
#endif
