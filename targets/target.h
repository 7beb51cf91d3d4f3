/* The outputs of kiln build behind one small interface, in the shape of
 * libfdisk's label operations or libarchive's format writers: each kind of
 * target is one file (targets/raw.c, esxi.c, ec2.c) defining one struct
 * kiln_target, and targets/registry.c lists them. The build pipeline
 * (targets/build.h) runs the requested targets through these fields and
 * never asks which target it has. Adding a target: a new targets/NAME.c and
 * one line in registry.c's list. */
#ifndef KILN_TARGET_H
#define KILN_TARGET_H
#include "esxi/ova.h"
#include "lib/buf.h"
#include "profiles/model.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Packaging options from the command line; each target uses what concerns it. */
struct package_opts {
	const char *version;       /* product version (KILN_VERSION) */
	enum ova_digest digest;    /* OVA manifest algorithm */
	const char *sign_key, *sign_cert;   /* OVA signing, both or neither */
	unsigned threads;          /* VMDK compression threads; 0 = all CPUs */
	int64_t mtime;             /* OVA member times */
	int progress;              /* report on stderr */
};

/* A role's raw disk images, the input of every packaging target. */
struct role_images {
	const char *os_raw;        /* the bootable raw image (required) */
	const char *data_raw;      /* the data disk; NULL = a blank one of the role's data_disk_gib (if any) */
	const char *rootfs_tar;    /* the root filesystem tar it was written from; NULL when images were
	                              given (kiln package) */
};

/* What the installer media need besides the images (targets/media.h): the
 * operator's public key the medium trusts, the installer program, and a
 * signer for the image's block map (the caller's key store: installer/). */
struct media_inputs {
	const char *state;         /* operator.pub */
	const char *installer;     /* kiln-installer */
	uint64_t version;          /* recorded in the signature, as kiln sign --version */
	/* The minisign signature of data (a file called name) made with the
	 * operator key, kiln's trusted comment with version. Logs its errors. */
	int (*sign)(void *ud, const char *name, const void *data, size_t len, uint64_t version, struct buf *sig);
	void *ud;
};

/* The hosts one per-host output is for: one host, or (per_role) the
 * delivered hosts of one role, which the output carries together. */
struct host_set {
	enum role role;
	const char *name;          /* the output's name: the host's, or the role's when per_role */
	const struct host *const *hosts;
	const struct buf *const *seeds;   /* [n]: their seeds (empty until the seeds step) */
	size_t n;
	bool per_role;
};

/* What a target's callbacks are given. */
struct target_ctx {
	const struct model *m;
	const bool *want;          /* [ROLE__COUNT]: the roles being delivered */
	bool per_role;             /* per-host targets make one output per role (build_request.per_role) */
	const char *out_dir;
	const struct package_opts *po;
	const struct media_inputs *media;   /* NULL: the request cannot make installer media */
	int64_t source_date_epoch;          /* <0: unset */
};

struct kiln_target {
	const char *name;          /* --target NAME, and a profile's targets: entry */
	const char *summary;       /* one line for --help: what it writes */
	/* The largest seed one of its hosts can be given (0: any), and for
	 * messages what carries it ("EC2 user data") and whose limit it is:
	 * "<owner>'s <seed_max> byte <field> limit" ("EC2", "user-data"). */
	size_t seed_max;
	const char *seed_carrier, *seed_owner, *seed_field;
	bool host_seeds;           /* each host of a delivered role gets OUT/<host>.seed */
	const char *signs;         /* what --sign-key/--sign-cert sign here ("an OVA"); NULL: nothing */
	/* One role's raw images into this target's form. Logs its errors;
	 * returns 0 and in *out (malloc'd) the path the CLI prints, or -errno.
	 * NULL: the raw images are the output. */
	int (*package_role)(const struct target_ctx *c, enum role r, const struct role_images *img, char **out);
	/* Before any long work: can this target make hs's output? Logs why
	 * not (-errno). NULL: always. */
	int (*check_hosts)(const struct target_ctx *c, const struct host_set *hs);
	/* The output of a set of hosts, after their role's package_role (if
	 * any): one set per host of the delivered roles (narrowed by --host),
	 * or one per role with per_role. The seeds are made by the pipeline.
	 * Logs its errors; 0 and *out (malloc'd), or -errno. NULL: nothing per
	 * host. */
	int (*package_hosts)(const struct target_ctx *c, const struct host_set *hs, const struct role_images *img,
			     char **out);
	/* The operator's README (markdown) for the delivered roles; the
	 * pipeline writes it to OUT/<deployment>-<name>-README.md. NULL: none. */
	void (*readme)(const struct target_ctx *c, struct buf *out);
};

/* targets/registry.c: every target, NULL-terminated, in the order the
 * pipeline runs them. */
const struct kiln_target *const *target_all(void);
const struct kiln_target *target_find(const char *name);   /* NULL when unknown */
/* The names a profile's targets: may use (profile.h): every target's, then
 * those of outputs not built yet that profiles may already name. */
const char *const *target_profile_names(void);
/* The names of the targets `keep` accepts (NULL: all), joined for a message:
 * "a<sep>b<last>c" (malloc'd). */
char *target_names_join(bool (*keep)(const struct kiln_target *t), const char *sep, const char *last);
bool target_packages(const struct kiln_target *t);   /* has package_role: kiln package offers it */
bool target_per_host(const struct kiln_target *t);   /* has package_hosts */
bool target_signs(const struct kiln_target *t);      /* takes --sign-key/--sign-cert */

/* May a seed of len bytes go to host? Refused (-EFBIG, logged) when one of
 * `requested` (NULL-terminated, may be NULL) or a target the profile's
 * targets: names bounds seeds below len; a warning when only some other
 * target would refuse it. */
int target_seed_check(const struct model *m, const struct kiln_target *const *requested, const char *host,
		      size_t len);
#endif
