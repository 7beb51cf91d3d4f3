/* Finding this host's seed. The platform (firstboot/platform.h) decides the
 * source; nothing is guessed by trying sources one after another:
 *   ec2     IMDSv2 user data (firstboot/imds.h)
 *   vmware  OVF environment: ISO transport (ovf-env.xml on a CD-ROM), else
 *           guestinfo.ovfEnv via vmtoolsd; the seed is property "kiln.seed"
 *   other   the seed file /etc/kiln/seed (baked into the image or written by
 *           `kiln install`), else a seed medium: an ISO 9660 volume labelled
 *           KILN_SEED holding a file "seed" (`kiln seed --iso`), e.g. a
 *           CD-ROM or USB stick
 * VMware properties kiln.hostname, kiln.address, kiln.gateway and kiln.dns
 * are returned too: non-secret overrides the profile may allow. */
#ifndef KILN_FB_DATASOURCE_H
#define KILN_FB_DATASOURCE_H
#include "firstboot/ovfenv.h"
#include "firstboot/platform.h"
#include "lib/appliance.h"
#include "lib/buf.h"
#include <stdbool.h>

#define OVF_SEED_PROPERTY "kiln.seed"

struct ds_opts {
	const char *sysroot;      /* prefix for /sys, /etc/kiln/seed, /dev paths; "" in production */
	const char *force;        /* NULL = detect; "ec2", "vmware" or "other" */
	const char *imds_url;     /* default http://169.254.169.254 */
	unsigned deadline_ms;     /* budget for a network datasource; default 60000 */
	const char *seed_file;    /* default /etc/kiln/seed */
	const char *ovf_iso;      /* default: first of /dev/sr0 /dev/sr1 /dev/cdrom holding ovf-env.xml */
	const char *vmtoolsd;     /* default "vmtoolsd" */
	const char *seed_iso;     /* default: the block device labelled KILN_SEED (libblkid) */
};

struct ds_result {
	enum platform platform;
	char platform_why[256];
	char *source;             /* e.g. "ec2-imdsv2", "ovf-iso:/dev/sr0", "file:/etc/kiln/seed" */
	char *medium;             /* the file or device (sysroot included) the seed was read from; NULL over
				     the network or guestinfo */
	bool medium_is_media;     /* medium is a CD-ROM/ISO or KILN_SEED volume, not a plain file */
	struct buf seed;
	struct ovf_env ovf;       /* all OVF properties (vmware only) */
};

/* 0, or -errno with one error logged saying what was tried and why it failed.
 * Files and devices are opened without blocking and checked for type and
 * size before they are read (lib/input.h). */
int datasource_fetch(const struct ds_opts *o, struct ds_result *r);
void ds_result_free(struct ds_result *r);
#endif
