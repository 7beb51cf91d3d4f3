/* The OVF descriptor (.ovf) of one appliance VM for ESXi/vCenter: the
 * layout of the shared formats reference §2 (References, DiskSection,
 * NetworkSection, VirtualSystem with OperatingSystemSection,
 * VirtualHardwareSection, ProductSection). EFI firmware, one SCSI controller
 * for the disks, an IDE CD-ROM for the "iso" OVF environment transport
 * (Debian's cloud kernel has ata_piix but no AHCI), a vmxnet3 NIC per
 * network, and the ProductSection class "kiln": kiln.seed (password-typed)
 * and the non-secret per-host overrides. Pure text generation, no I/O. */
#ifndef KILN_OVF_H
#define KILN_OVF_H
#include "lib/buf.h"
#include <stddef.h>
#include <stdint.h>


struct ovf_disk {
	const char *href;          /* file name inside the OVA, e.g. "acme-app-disk1.vmdk" */
	uint64_t file_size;        /* bytes of that file (References ovf:size) */
	uint64_t capacity;         /* virtual disk size in bytes, a multiple of 512 */
	uint64_t populated;        /* bytes holding data; 0 = leave the attribute out */
};

struct ovf_params {
	const char *name;          /* VirtualSystem id/name, e.g. "acme-app" */
	const char *product;       /* ProductSection Product, e.g. "kiln acme app" */
	const char *version;       /* ProductSection Version */
	const char *annotation;    /* AnnotationSection text; NULL = none */
	const char *hardware_version;  /* "vmx-NN"; see ovf_hw_parse */
	const char *disk_controller;   /* "pvscsi", "lsilogic", "lsilogicsas" */
	unsigned vcpus, memory_mib;
	const char *const *networks; size_t n_networks;   /* port group names, >= 1 */
	const struct ovf_disk *disks; size_t n_disks;      /* OS disk first; 1..15 */
	const char *const *overridable; size_t n_overridable;  /* hostname, address, gateway, dns */
};

/* "vmx-NN" -> NN. -EINVAL when it is not of that form; -ENOTSUP when NN is
 * not an ESXi hardware version that boots an EFI appliance (11, 13-15,
 * 17-21: 12 and 16 are Workstation-only, 10 and older lack EFI support in
 * ova tooling). */
int ovf_hw_parse(const char *s, unsigned *out);

/* Guest OS for a hardware version: the newest Debian guest id that the ESXi
 * release of that version knows (debian12_64Guest needs 8.0, debian11 7.0,
 * debian10 6.7, debian9 6.5, debian8 6.0). */
void ovf_guest_os(unsigned hw, const char **os_type, const char **os_version);

/* 0 if the controller is supported (pvscsi, lsilogic, lsilogicsas), else -EINVAL. */
int ovf_controller_check(const char *s);

/* Write the descriptor to out. -EINVAL on a bad parameter (the checks above,
 * no disk or network, a capacity that is not a multiple of 512, an unknown
 * overridable name, a non-ASCII or control character in a name). Does not log. */
int ovf_build(const struct ovf_params *p, struct buf *out);
#endif
