/* What the installer media take from a role's own rootfs tar (the cached
 * mmdebstrap output the role image was written from): the kernel, the
 * kernel modules a list of drivers needs (with their dependencies from
 * modules.dep, in load order), the shared libraries a program needs (its
 * DT_NEEDED closure, read with libelf, and its ELF interpreter), and
 * Debian's signed shim and GRUB, and GRUB's i386-pc directory for BIOS
 * (images/bootchain.h). So the installer runs the very kernel and
 * libraries the installed host will. Logs its errors; returns 0 or -errno. */
#ifndef KILN_BOOTKIT_H
#define KILN_BOOTKIT_H
#include "images/bootchain.h"
#include "images/initramfs.h"
#include <stddef.h>

struct bootkit {
	char *kver;                 /* "6.1.0-50-amd64" */
	void *kernel;  size_t kernel_len;
	void *shim;    size_t shim_len;      /* BOOTCHAIN_SHIM; NULL: the rootfs has none */
	void *grub;    size_t grub_len;      /* BOOTCHAIN_GRUB_EFI; NULL: none */
	/* the regular files directly in BOOTCHAIN_GRUB_PC_DIR (grub-pc-bin),
	 * named without the directory, data owned; none: the rootfs has none */
	struct bootchain_blob *grub_pc; size_t n_grub_pc;
	char **modules; size_t n_modules;    /* paths in load order, as put in the initramfs */
	char **missing; size_t n_missing;    /* asked for, neither a module nor built in */
	char **builtin; size_t n_builtin;    /* asked for, built into the kernel */
};

/* Read tar: the newest kernel and its modules.dep/.builtin; the modules
 * named in want (NULL-terminated, '-' and '_' alike) and their dependencies
 * go into f under their path in the tar; the program at program (a file on
 * this machine) goes into f as prog_path with every library it needs from
 * the tar, at the paths the dynamic loader looks for them. */
int bootkit_collect(const char *tar, const char *const *want, const char *program, const char *prog_path,
		    struct initramfs *f, struct bootkit *out);
void bootkit_free(struct bootkit *k);

/* The DT_NEEDED names and the interpreter (PT_INTERP, or NULL) of an ELF
 * image in memory. -ENOEXEC if it is not a dynamic ELF file. */
int elf_needs(const void *data, size_t len, char ***needed, size_t *n, char **interp);
#endif
