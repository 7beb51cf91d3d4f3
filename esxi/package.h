/* Turn a role's raw disk images into what a platform imports:
 *   ESXi: OUT/<deployment>-<role>.ova (OVF descriptor + manifest [+ .cert]
 *         + the OS disk and the data disk as streamOptimized VMDKs)
 *   EC2:  OUT/<deployment>-<role>.vmdk (streamOptimized, for ImportSnapshot),
 *         OUT/<deployment>-<role>.import-snapshot.json and
 *         OUT/<deployment>-<role>.register-image.json
 * The images are given by path, so this works on any raw disk (tests use
 * small synthetic ones). Hardware (vCPUs, memory, disk sizes, NIC count)
 * is the largest any host of the role asks for. Every output is written to
 * a temporary name and renamed. Functions log their errors and return 0 or
 * a negative errno. */
#ifndef KILN_PACKAGE_H
#define KILN_PACKAGE_H
#include "esxi/ova.h"
#include "profiles/model.h"
#include <stdbool.h>

struct package_opts {
	const char *version;       /* product version (KILN_VERSION) */
	enum ova_digest digest;    /* OVA manifest algorithm */
	const char *sign_key, *sign_cert;   /* OVA signing, both or neither */
	unsigned threads;          /* VMDK compression threads; 0 = all CPUs */
	int64_t mtime;             /* OVA member times */
	int progress;
};

struct role_images {
	const char *os_raw;        /* the bootable raw image (required) */
	const char *data_raw;      /* the data disk; NULL = a blank one of the role's data_disk_gib (if any) */
};

/* The role's sizing: largest vCPUs, memory, OS and data disk (mysql and
 * minio only; 0 for app), NIC count. */
struct role_sizing {
	unsigned vcpus, memory_mib, os_disk_gib, data_disk_gib, nics;
	size_t n_hosts;
};
void role_sizing(const struct model *m, enum role r, struct role_sizing *out);

/* "<deployment>-<role><suffix>" in dir (malloc'd). */
char *package_path(const char *dir, const struct model *m, enum role r, const char *suffix);

int package_esxi_role(const struct model *m, enum role r, const struct role_images *img, const char *out_dir,
		      const struct package_opts *o);
int package_ec2_role(const struct model *m, enum role r, const struct role_images *img, const char *out_dir,
		     const struct package_opts *o);
/* OUT/<deployment>-ec2-README.md for the roles in want[]. */
int package_ec2_readme(const struct model *m, const bool want[ROLE__COUNT], const char *out_dir);
#endif
