/* The VMware OVF environment: the XML document vSphere hands a VM with the
 * values of its OVF properties (formats.md §2.5), on an ISO CD-ROM
 * (ovf-env.xml at its root) or through guestinfo.ovfEnv. Properties are
 * matched by namespace URI, not prefix. External entities and network
 * access are disabled in the XML parser. */
#ifndef KILN_FB_OVFENV_H
#define KILN_FB_OVFENV_H
#include <stddef.h>

struct ovf_prop {
	char *key;
	char *value;
};
struct ovf_env {
	struct ovf_prop *props;
	size_t n, cap;
};

int ovfenv_parse(const char *xml, size_t len, struct ovf_env *out);   /* -EBADMSG if not an OVF env */
const char *ovfenv_get(const struct ovf_env *e, const char *key);      /* NULL if absent */
void ovfenv_free(struct ovf_env *e);

/* Read ovf-env.xml (or the variant spellings vSphere/cloud-init accept) from
 * an ISO 9660 image or CD-ROM device with libarchive: no mount needed.
 * -ENOENT if the medium has no such file. */
int ovfenv_read_iso(const char *iso_path, char **xml, size_t *len);

/* Read the regular file `name` (case-insensitive, ISO 9660 ";1" version
 * suffix allowed) from an ISO 9660 image or device; at most max bytes. The
 * medium is opened without blocking and must be a regular file or a block
 * device: the errors of open_input (lib/input.h) for the medium itself,
 * -ENOMEDIUM for an empty drive, -EIO if it is not readable as ISO 9660,
 * -ENOENT if it has no such file, -EFBIG if the file is larger. */
int iso_read_file(const char *iso_path, const char *name, size_t max, char **data, size_t *len);
#endif
