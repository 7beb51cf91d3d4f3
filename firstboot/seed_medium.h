/* What is left of the seed's carrier once the agent has read it. The agent
 * never mounts a medium (ISOs are read with libarchive), so there is nothing
 * to unmount; what stays exposed is the device node or file itself:
 *   - the file or device the seed came from is made owner root, mode 0600
 *     (udev makes a CD-ROM root:cdrom 0660 and a disk root:disk 0660; a seed
 *     file may arrive 0644);
 *   - when it was a medium (the OVF environment CD-ROM, a KILN_SEED volume),
 *     a udev rule keeps every CD-ROM and every KILN_SEED volume root:root
 *     0600, with no seat-user ACL (uaccess), whenever udev creates or changes
 *     the node again: after a media change and from the next boot on.
 * A failure is a warning: the seed's secrets stay sealed to the root-only
 * role key either way. */
#ifndef KILN_FB_SEED_MEDIUM_H
#define KILN_FB_SEED_MEDIUM_H
#include <stdbool.h>

struct agent;

#define SEED_MEDIA_UDEV_RULE "/etc/udev/rules.d/72-kiln-seed-media.rules"

void seed_medium_conceal(const struct agent *a, const char *path, bool is_media);
#endif
