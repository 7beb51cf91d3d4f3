/* What kiln-installer does as the kernel's first process, where nothing
 * else has set the system up (no udev, no systemd): the virtual
 * filesystems, the console, the kernel modules the medium's initramfs
 * carries, and the final reboot. */
#ifndef KILN_MEDIUM_BOOT_H
#define KILN_MEDIUM_BOOT_H
#include <stdio.h>

#define MEDIA_MODULES_LIST "/etc/kiln/modules"   /* one module path a line, in load order */
#define MEDIA_OPERATOR_PUB "/etc/kiln/operator.pub"

/* /proc, /sys, /sys/kernel/security, /dev (devtmpfs), /run;
 * stdin, stdout and stderr on /dev/console. */
void media_boot_setup(void);
/* Every module of the list, in order; returns how many loaded. A module
 * whose hardware is absent or that is already in is no error. */
int media_load_modules(const char *list, FILE *out);
#define EFIVARS_DIR "/sys/firmware/efi/efivars"
/* efivarfs (a module in Debian's kernel: after media_load_modules). */
int media_mount_efivars(void);
/* The CD-ROM out of the drive, so the firmware does not boot it again. */
void media_eject(int fd);
/* sync, then reboot (as PID 1) or say so (otherwise). */
void media_reboot(FILE *out);
/* PID 1 must never exit: wait for the operator to power off. */
void media_wait_forever(FILE *out) __attribute__((noreturn));
#endif
