/* OVA packing (shared formats reference §3): a POSIX ustar archive holding
 * the .ovf descriptor first, then the manifest (.mf), then the optional
 * signature (.cert), then the files in References order; every member mode
 * 0644, owner and group 0. The manifest has one line `ALG(name)= hex` per
 * file (the .ovf and the disks). Written by libarchive to a temporary name
 * and renamed when complete; the OVA file itself is mode 0600, since kiln's
 * images hold their role's private key.
 *
 * Members of 8 GiB or more do not fit ustar's 11 octal digits, and
 * libarchive's ustar writer refuses them ("File size out of range"). An OVA
 * with such a member is written in libarchive's GNU tar format instead: the
 * same header layout with magic "ustar  \0" and the size in GNU base-256
 * form (top bit of the size field set), as open-vmdk's ova-compose does;
 * GNU tar, bsdtar and Python's tarfile read it. */
#ifndef KILN_OVA_H
#define KILN_OVA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OVA_USTAR_MAX_SIZE UINT64_C(077777777777)   /* 8 GiB - 1: 11 octal digits */

enum ova_digest { OVA_DIGEST_SHA256, OVA_DIGEST_SHA1 };

/* "sha256"/"sha1" -> enum; -EINVAL otherwise. */
int ova_digest_parse(const char *s, enum ova_digest *out);
const char *ova_digest_label(enum ova_digest d);   /* "SHA256", "SHA1" */

struct ova_file {
	const char *name;          /* member name, flat ASCII (no '/'), <= 100 bytes */
	const char *path;          /* where it is on disk */
};

struct ova_params {
	const char *ovf_name;      /* e.g. "acme-app.ovf"; .mf/.cert share its basename */
	const char *ovf_text; size_t ovf_len;
	const struct ova_file *files; size_t n_files;   /* References order */
	enum ova_digest digest;
	/* Optional signing: a PEM private key and its PEM X.509 certificate. The
	 * .cert member is `ALG(name.mf)= hex(signature over the .mf)` followed by
	 * the certificate, as `openssl dgst -ALG -sign key name.mf` makes it. */
	const char *sign_key, *sign_cert;
	int64_t mtime;             /* member times (SOURCE_DATE_EPOCH or now) */
	int progress;              /* report each member on stderr */
};

/* Does a member of this size need the GNU tar format (see above)? */
bool ova_needs_gnu_tar(uint64_t largest_member);

/* Write the OVA to out_path. Logs its errors; returns 0 or a negative errno
 * (-EINVAL for bad names, -ENOENT for a missing file, -EKEYREJECTED when the
 * key does not match the certificate). */
int ova_write(const char *out_path, const struct ova_params *p);
#endif
