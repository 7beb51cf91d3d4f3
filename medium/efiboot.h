/* After an install the firmware must boot the installed disk, not the
 * medium again: a UEFI boot option for the disk's ESP (a short-form HD()
 * device path, as efibootmgr writes it, then \EFI\BOOT\BOOTX64.EFI) goes
 * first in BootOrder and into BootNext, written through efivarfs. The load
 * option's layout is the UEFI specification's (EFI_LOAD_OPTION, media
 * device path nodes 4/1 and 4/4, end node 0x7f/0xff). Returns 0 or -errno;
 * nothing is logged, why says what failed. */
#ifndef KILN_MEDIUM_EFIBOOT_H
#define KILN_MEDIUM_EFIBOOT_H
#include "lib/buf.h"
#include <stdint.h>

#define EFI_GLOBAL_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"

struct efi_esp {
	uint32_t partno;           /* 1-based */
	uint64_t start, size;      /* in 512-byte sectors */
	char uuid[37];             /* the partition's GUID, "xxxxxxxx-xxxx-..." */
};

/* The ESP of the disk (or image) open on fd, by partition type. -ENOENT: none. */
int efi_find_esp(int fd, struct efi_esp *out);

/* The EFI_LOAD_OPTION bytes for esp with description. -EINVAL: bad GUID. */
int efi_load_option(const struct efi_esp *esp, const char *description, struct buf *out);

/* Boot#### (the lowest free number) with the option, that number first in
 * BootOrder and in BootNext, under efivars ("/sys/firmware/efi/efivars").
 * *num is the number used. */
int efi_boot_first(const char *efivars, const struct efi_esp *esp, const char *description, unsigned *num,
		   char *why, size_t why_len);

/* The firmware's SecureBoot variable under efivars: 1 (enforced), 0 (off),
 * -ENOENT (no such variable: no Secure Boot support, or not UEFI),
 * -EBADMSG (not one byte of data). */
int efi_secure_boot(const char *efivars);

/* The kernel's lockdown mode from the text of securityfs's lockdown file
 * ("none [integrity] confidentiality\n": the bracketed word) into out;
 * -EBADMSG if no word is bracketed. */
int efi_lockdown_mode(const char *text, char *out, size_t out_len);
#endif
