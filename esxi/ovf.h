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
#include <stdbool.h>
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
	unsigned hardware_version;     /* the NN of vmx-NN (profiles/model.h esxi_hardware_version_ok) */
	const char *disk_controller;   /* "pvscsi", "lsilogic", "lsilogicsas" */
	const char *firmware;          /* "efi" or "bios"; NULL = efi */
	bool secure_boot;              /* vmw:Config uefi.secureBoot.enabled (efi, vmx-13 and later) */
	unsigned vcpus, memory_mib;
	const char *const *networks; size_t n_networks;   /* port group names, >= 1 */
	const struct ovf_disk *disks; size_t n_disks;      /* OS disk first; 1..15 */
	const char *const *overridable; size_t n_overridable;  /* hostname, address, gateway, dns */
};

/* Guest OS for a hardware version: the newest Debian guest id that the ESXi
 * release of that version knows (debian12_64Guest needs 8.0, debian11 7.0,
 * debian10 6.7, debian9 6.5, debian8 6.0). */
void ovf_guest_os(unsigned hw, const char **os_type, const char **os_version);

/* 0 if the controller is supported (pvscsi, lsilogic, lsilogicsas), else -EINVAL. */
int ovf_controller_check(const char *s);

/* Write the descriptor to out. -EINVAL on a bad parameter (an unsupported
 * hardware version, the controller check above, a firmware other than efi
 * or bios, Secure Boot with bios or below vmx-13, no disk or network, a capacity that is not a multiple of 512, an unknown
 * overridable name, a non-ASCII or control character in a name). Does not log. */
int ovf_build(const struct ovf_params *p, struct buf *out);
#endif
