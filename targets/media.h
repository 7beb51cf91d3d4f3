/* The installer media (targets iso and usb), one medium per host or, with
 * per_role, one per role carrying the seeds of its hosts (the installer
 * picks the host by its install.machine rule): a UEFI boot partition (FAT16
 * ESP: Debian's shim, signed GRUB and a grub.cfg, images/bootchain.h, so
 * the media boot with Secure Boot on too) and a payload partition
 * (baremetal/payload.h: the role image's data ranges, its block map signed
 * with the operator key, the seeds). GRUB boots the role's own kernel and
 * an initramfs whose /init is kiln-installer from the filesystem holding
 * the medium's marker file: the ESP on the usb target, which writes that as
 * a GPT disk image with a BIOS boot partition (GRUB's core.img, boot.img in
 * the MBR); the ISO 9660 tree on the iso target, which hands the same two
 * partitions to xorriso as an El Torito EFI boot image and appended GPT
 * partitions, beside GRUB's El Torito BIOS image and hybrid MBR: a hybrid
 * ISO that boots as a CD-ROM and when written to a USB stick, with UEFI
 * and with legacy BIOS (images/bootchain.h). No root, no
 * mounts, no loop devices; reproducible for the same inputs and
 * SOURCE_DATE_EPOCH. Logs its errors; returns 0 or -errno. */
#ifndef KILN_TARGETS_MEDIA_H
#define KILN_TARGETS_MEDIA_H
#include "targets/target.h"

enum media_kind { MEDIA_USB, MEDIA_ISO };

/* Can hs go on one medium? A per-role medium needs every host's
 * install.machine rule (refused at the host's FILE:LINE:COLUMN) and at
 * most BM_PAYLOAD_SEEDS hosts. */
int media_check(const struct target_ctx *c, const struct host_set *hs);

/* OUT/<deployment>-<name>.img (usb) or .iso (iso) for hs. */
int media_build(const struct target_ctx *c, const struct host_set *hs, const struct role_images *img,
		enum media_kind kind, char **out);

/* The README both media targets write. */
void media_readme(const struct target_ctx *c, enum media_kind kind, struct buf *b);

/* The drivers the installer's initramfs carries (with their dependencies):
 * SATA/AHCI and IDE, NVMe, virtio, the common SAS/RAID HBAs, USB storage,
 * CD-ROM, efivarfs. NULL-terminated. */
extern const char *const media_modules[];
/* The network drivers a medium adds when one of its hosts' rules names a
 * MAC address (the NICs must exist to be read): virtio, Intel, Broadcom,
 * Realtek, Mellanox, VMware, ENA. */
extern const char *const media_nic_modules[];
#endif
