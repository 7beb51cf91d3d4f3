/* The EC2 kit for one role image (shared formats reference §4): the input
 * files for `aws ec2 import-snapshot --disk-container` and `aws ec2
 * register-image --cli-input-json`, and the README text with the commands
 * that take a streamOptimized VMDK to a running instance. The AMI boots
 * UEFI only (ESP + systemd-boot), needs ENA, and requires IMDSv2.
 * Placeholders the operator fills in: @BUCKET@ and @SNAPSHOT_ID@. */
#ifndef KILN_EC2_KIT_H
#define KILN_EC2_KIT_H
#include "lib/buf.h"
#include <stdint.h>

struct ec2_kit {
	const char *deployment;    /* model name */
	const char *role;          /* "app", "mysql", "minio" */
	const char *version;       /* kiln version, part of the AMI name */
	const char *vmdk_name;     /* the VMDK to upload, e.g. "acme-app.vmdk" */
	unsigned root_gib;         /* root volume size (>= the image) */
	unsigned data_gib;         /* blank data volume as /dev/sdf; 0 = none */
};

/* `aws ec2 import-snapshot --disk-container file://X` JSON. -EINVAL on bad names. */
int ec2_import_json(const struct ec2_kit *k, struct buf *out);

/* `aws ec2 register-image --cli-input-json file://X` JSON: Name, Architecture
 * x86_64, RootDeviceName /dev/xvda, BlockDeviceMappings, VirtualizationType
 * hvm, EnaSupport, SriovNetSupport simple, BootMode uefi, ImdsSupport v2.0. */
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
