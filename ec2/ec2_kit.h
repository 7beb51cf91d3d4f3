/* The EC2 kit for one role image (shared formats reference §4): the input
 * files for `aws ec2 import-snapshot --disk-container` and `aws ec2
 * register-image --cli-input-json`, and the README text with the commands
 * that take a streamOptimized VMDK to a running instance. The AMI boots
 * UEFI where the instance type offers it, else BIOS (boot mode
 * uefi-preferred: the image has both boot paths), needs ENA, and requires
 * IMDSv2.
 * Placeholders the operator fills in: @BUCKET@ and @SNAPSHOT_ID@. */
#ifndef KILN_EC2_KIT_H
#define KILN_EC2_KIT_H
#include "lib/buf.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ec2_kit {
	const char *deployment;    /* model name */
	const char *role;          /* "app", "mysql", "minio", "lb" */
	const char *version;       /* kiln version, part of the AMI name */
	const char *vmdk_name;     /* the VMDK to upload, e.g. "acme-app.vmdk" */
	unsigned root_gib;         /* root volume size (>= the image) */
	unsigned data_gib;         /* blank data volume as /dev/sdf; 0 = none */
};

/* The AMI a role image registers as, the one description both the
 * register-image JSON (ec2_register_json) and the RegisterImage query
 * (ec2/ec2_register.h) are written from. */
struct ec2_ami_disk {
	const char *device;        /* "/dev/xvda", "/dev/sdf" */
	const char *snapshot_id;   /* NULL: a blank volume */
	unsigned gib;
	const char *volume_type;   /* "gp3" */
	bool delete_on_termination;
};

struct ec2_ami {
	char *name, *description;  /* malloc'd */
	const char *architecture, *root_device, *virtualization, *sriov, *boot_mode, *imds;
	bool ena;
	struct ec2_ami_disk disks[2];
	size_t n_disks;
};

/* -EINVAL on bad names or sizes. snapshot_id is the root volume's snapshot
 * (the JSON kit passes the placeholder "@SNAPSHOT_ID@"); name NULL means
 * kiln-<deployment>-<role>-<version>. */
int ec2_ami_describe(const struct ec2_kit *k, const char *snapshot_id, const char *name, struct ec2_ami *out);
void ec2_ami_free(struct ec2_ami *a);

/* `aws ec2 import-snapshot --disk-container file://X` JSON. -EINVAL on bad names. */
int ec2_import_json(const struct ec2_kit *k, struct buf *out);

/* `aws ec2 register-image --cli-input-json file://X` JSON: Name, Architecture
 * x86_64, RootDeviceName /dev/xvda, BlockDeviceMappings, VirtualizationType
 * hvm, EnaSupport, SriovNetSupport simple, BootMode uefi-preferred, ImdsSupport v2.0. */
int ec2_register_json(const struct ec2_kit *k, struct buf *out);

/* One host's line in the README: its run-instances command. */
struct ec2_host {
	const char *name;
	const char *role;
	const char *private_ip;    /* NULL for DHCP */
	unsigned vcpus, memory_mib;
};

/* The README (markdown) for a deployment: upload, import, register per
 * role, then run-instances per host with --user-data file://<host>.seed. */
void ec2_readme(const char *deployment, const struct ec2_kit *kits, size_t n_kits,
		const struct ec2_host *hosts, size_t n_hosts, struct buf *out);
#endif
