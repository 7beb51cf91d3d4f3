/* What the firmware and the kernel say about the machine itself, read from
 * sysfs under an injectable root (unit tests build fake trees; the
 * installer passes "/sys"): the addresses of its physical network cards
 * (<sysfs>/class/net/IFACE/address of the interfaces that have a device)
 * and the SMBIOS system serial and UUID (<sysfs>/class/dmi/id/product_serial
 * and product_uuid, the values dmidecode -s system-serial-number and
 * system-uuid print). A per-role installer medium picks its host with them
 * (profiles/machine_rule.h). MAC and UUID syntax live here too: the profile
 * checks its values with the same code. Functions return 0 or -errno and do
 * not log. */
#ifndef KILN_MACHINEINFO_H
#define KILN_MACHINEINFO_H
#include <stddef.h>
#include <stdint.h>

#define MAC_TEXT_LEN 18     /* "aa:bb:cc:dd:ee:ff" and its NUL */
#define UUID_TEXT_LEN 37    /* "01234567-89ab-cdef-0123-456789abcdef" and its NUL */

/* "aa:bb:cc:dd:ee:ff" in either case into its canonical lower-case text;
 * -EINVAL for anything else (no '-' separators, no missing zeros). */
int mac_canonical(const char *s, char out[MAC_TEXT_LEN]);
/* A UUID in 8-4-4-4-12 hex digits, either case, into lower case; -EINVAL. */
int uuid_canonical(const char *s, char out[UUID_TEXT_LEN]);

struct machine_nic {
	char *name;                 /* "enp1s0" (printable) */
	char mac[MAC_TEXT_LEN];     /* lower case */
};

struct machine_facts {
	struct machine_nic *nics;   /* the physical NICs, sorted by name */
	size_t n_nics;
	char *dmi_serial;           /* printable, spaces trimmed; NULL: not reported or empty */
	char *dmi_uuid;             /* lower case if it is a UUID, else printable as read; NULL: none */
};

/* Facts are best effort: a file that is missing leaves its fact out; only
 * a <sysfs> that cannot be read at all is an error. */
int machine_facts_read(const char *sysfs, struct machine_facts *out);
void machine_facts_free(struct machine_facts *f);
#endif
