/* The platform step after the raw images exist, shared by `kiln build
 * --target esxi|ec2` and `kiln package`: per role the OVA or the EC2 kit
 * (esxi/package.h), per host its seed (OUT/<host>.seed: the kiln.seed OVF
 * property value or the EC2 user data), and a README for the operator.
 * Seeds are made first, so a seed over EC2's 16 KB limit fails before any
 * long conversion starts. */
#ifndef KILN_DELIVER_H
#define KILN_DELIVER_H
#include "esxi/package.h"
#include "profiles/model.h"
#include <stdbool.h>

enum deliver_target { DELIVER_ESXI, DELIVER_EC2 };

struct deliver_ctx {
	const char *profile;               /* path, for messages */
	const struct model *m;
	const char *text; size_t tlen;     /* the profile bytes m came from (seed topology) */
	const char *state;                 /* key/secret directory */
	const char *out_dir;
	bool want[ROLE__COUNT];            /* roles to package */
	struct role_images img[ROLE__COUNT];
	struct package_opts po;
	bool seeds;                        /* write OUT/<host>.seed for the hosts of wanted roles */
};

/* deliver = deliver_seeds + deliver_packages. `kiln build` makes the seeds
 * before the raw images, so a seed EC2 would refuse stops it early. Each
 * logs its errors and returns 0 or a negative errno; written package paths
 * are printed on stdout, one a line. */
int deliver_seeds(const struct deliver_ctx *c, enum deliver_target t);
int deliver_packages(const struct deliver_ctx *c, enum deliver_target t);
int deliver(const struct deliver_ctx *c, enum deliver_target t);
#endif
