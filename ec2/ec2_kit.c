/* EC2 import/register inputs and README; see ec2_kit.h. */
#include "ec2/ec2_kit.h"
#include "lib/json.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool name_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++)
		if (*p <= 0x20 || *p > 0x7e || *p == '"' || *p == '\\' || *p == '/')
			return false;
	return true;
}

static bool kit_ok(const struct ec2_kit *k)
{
	return name_ok(k->deployment) && name_ok(k->role) && name_ok(k->version) && name_ok(k->vmdk_name) &&
	       k->root_gib >= 1 && k->root_gib <= 65536 && k->data_gib <= 65536;
}

int ec2_ami_describe(const struct ec2_kit *k, const char *snapshot_id, const char *name, struct ec2_ami *a)
{
	memset(a, 0, sizeof *a);
	if (!kit_ok(k) || !name_ok(snapshot_id) || (name && !name_ok(name)))
		return -EINVAL;
	a->name = name ? xstrdup(name) : xasprintf("kiln-%s-%s-%s", k->deployment, k->role, k->version);
	a->description = xasprintf("kiln %s appliance for deployment %s (UEFI or BIOS, IMDSv2; seed in user data)", k->role,
				   k->deployment);
	a->architecture = "x86_64";
	a->root_device = "/dev/xvda";
	a->virtualization = "hvm";
	a->sriov = "simple";
	/* UEFI where the instance type has it (Secure Boot possible), BIOS on
	 * the BIOS-only types: the image carries both boot paths. */
	a->boot_mode = "uefi-preferred";
	a->imds = "v2.0";             /* instances require IMDSv2 tokens */
	a->ena = true;
	a->disks[a->n_disks++] = (struct ec2_ami_disk){ "/dev/xvda", snapshot_id, k->root_gib, "gp3", true };
	/* A blank volume: kiln-firstboot formats it on first boot; it outlives the instance. */
	if (k->data_gib)
		a->disks[a->n_disks++] = (struct ec2_ami_disk){ "/dev/sdf", NULL, k->data_gib, "gp3", false };
	return 0;
}

void ec2_ami_free(struct ec2_ami *a)
{
	free(a->name);
	free(a->description);
	memset(a, 0, sizeof *a);
}

int ec2_import_json(const struct ec2_kit *k, struct buf *b)
{
	if (!kit_ok(k))
		return -EINVAL;
	buf_puts(b, "{\n  \"Description\": ");
	struct buf t;
	buf_init(&t);
	buf_printf(&t, "kiln %s %s root disk", k->deployment, k->role);
	json_str(b, t.data);
	buf_free(&t);
	buf_puts(b, ",\n  \"Format\": \"VMDK\",\n  \"UserBucket\": {\n    \"S3Bucket\": \"@BUCKET@\",\n    \"S3Key\": ");
	json_str(b, k->vmdk_name);
	buf_puts(b, "\n  }\n}\n");
	return 0;
}

int ec2_register_json(const struct ec2_kit *k, struct buf *b)
{
	struct ec2_ami a;
	int r = ec2_ami_describe(k, "@SNAPSHOT_ID@", NULL, &a);
	if (r < 0)
		return r;
	buf_puts(b, "{\n  \"Name\": ");
	json_str(b, a.name);
	buf_puts(b, ",\n  \"Description\": ");
	json_str(b, a.description);
	buf_puts(b, ",\n  \"Architecture\": ");
	json_str(b, a.architecture);
	buf_puts(b, ",\n  \"RootDeviceName\": ");
	json_str(b, a.root_device);
	buf_puts(b, ",\n  \"BlockDeviceMappings\": [");
	for (size_t i = 0; i < a.n_disks; i++) {
		const struct ec2_ami_disk *d = &a.disks[i];
		buf_puts(b, i ? ",\n    {\n      \"DeviceName\": " : "\n    {\n      \"DeviceName\": ");
		json_str(b, d->device);
		buf_puts(b, ",\n      \"Ebs\": {\n");
		if (d->snapshot_id) {
			buf_puts(b, "        \"SnapshotId\": ");
			json_str(b, d->snapshot_id);
			buf_puts(b, ",\n");
		}
		buf_printf(b, "        \"VolumeSize\": %u,\n        \"VolumeType\": ", d->gib);
		json_str(b, d->volume_type);
		buf_printf(b, ",\n        \"DeleteOnTermination\": %s\n      }\n    }",
			   d->delete_on_termination ? "true" : "false");
	}
	buf_puts(b, "\n  ],\n  \"VirtualizationType\": ");
	json_str(b, a.virtualization);
	buf_printf(b, ",\n  \"EnaSupport\": %s,\n  \"SriovNetSupport\": ", a.ena ? "true" : "false");
	json_str(b, a.sriov);
	buf_puts(b, ",\n  \"BootMode\": ");
	json_str(b, a.boot_mode);
	buf_puts(b, ",\n  \"ImdsSupport\": ");
	json_str(b, a.imds);
	buf_puts(b, "\n}\n");
	ec2_ami_free(&a);
	return 0;
}

/* The smallest general-purpose type with at least the preset's vCPUs and memory. */
static const char *instance_type(unsigned vcpus, unsigned memory_mib)
{
	static const struct { const char *name; unsigned vcpus, mib; } types[] = {
		{ "t3.micro", 2, 1024 },   { "t3.small", 2, 2048 },    { "t3.medium", 2, 4096 },
		{ "t3.large", 2, 8192 },   { "t3.xlarge", 4, 16384 },  { "t3.2xlarge", 8, 32768 },
		{ "m6i.4xlarge", 16, 65536 }, { "m6i.8xlarge", 32, 131072 }, { "m6i.16xlarge", 64, 262144 },
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].vcpus >= vcpus && types[i].mib >= memory_mib)
			return types[i].name;
	return "INSTANCE_TYPE";
}

void ec2_readme(const char *deployment, const struct ec2_kit *kits, size_t n_kits,
		const struct ec2_host *hosts, size_t n_hosts, struct buf *b)
{
	buf_printf(b, "# EC2 kit for deployment %s\n\n"
		      "Made by `kiln build --target ec2`. Needs the AWS CLI v2, an S3 bucket in the target\n"
		      "region and the `vmimport` service role (see the VM Import/Export user guide).\n"
		      "Replace BUCKET, SUBNET_ID and SECURITY_GROUP_ID below.\n\n"
		      "## 1. One AMI per role\n\n", deployment);
	for (size_t i = 0; i < n_kits; i++) {
		const struct ec2_kit *k = &kits[i];
		const char *r = k->role;
		buf_printf(b, "### %s\n\n```sh\n"
			      "aws s3 cp %s s3://BUCKET/%s\n"
			      "sed -i 's/@BUCKET@/BUCKET/' %s-%s.import-snapshot.json\n"
			      "task=$(aws ec2 import-snapshot --description 'kiln %s %s' \\\n"
			      "    --disk-container file://%s-%s.import-snapshot.json --query ImportTaskId --output text)\n"
			      "aws ec2 wait snapshot-imported --import-task-ids \"$task\"\n"
			      "snap=$(aws ec2 describe-import-snapshot-tasks --import-task-ids \"$task\" \\\n"
			      "    --query 'ImportSnapshotTasks[0].SnapshotTaskDetail.SnapshotId' --output text)\n"
			      "sed -i \"s/@SNAPSHOT_ID@/$snap/\" %s-%s.register-image.json\n"
			      "ami_%s=$(aws ec2 register-image --cli-input-json file://%s-%s.register-image.json \\\n"
			      "    --query ImageId --output text)\n"
			      "```\n\n",
			   r, k->vmdk_name, k->vmdk_name, deployment, r, deployment, r, deployment, r, deployment, r,
			   r, deployment, r);
	}
	buf_puts(b, "The image holds the role's private key: keep the AMI private.\n\n"
		    "## 2. One instance per host\n\n"
		    "Each host's seed (`<host>.seed`, signed, secrets sealed to the role key) is its user data;\n"
		    "the AMIs require IMDSv2 (`ImdsSupport v2.0`).\n\n```sh\n");
	for (size_t i = 0; i < n_hosts; i++) {
		const struct ec2_host *h = &hosts[i];
		buf_printf(b, "aws ec2 run-instances --image-id \"$ami_%s\" --instance-type %s \\\n"
			      "    --subnet-id SUBNET_ID --security-group-ids SECURITY_GROUP_ID \\\n",
			   h->role, instance_type(h->vcpus, h->memory_mib));
		if (h->private_ip)
			buf_printf(b, "    --private-ip-address %s \\\n", h->private_ip);
		buf_printf(b, "    --metadata-options HttpTokens=required,HttpPutResponseHopLimit=2 \\\n"
			      "    --tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=%s}]' \\\n"
			      "    --user-data file://%s.seed\n",
			   h->name, h->name);
	}
	buf_puts(b, "```\n\nThe instance type is the smallest t3/m6i with the host's vCPUs and memory;\n"
		    "change it freely. The security groups must allow the profile's flows.\n");
}
