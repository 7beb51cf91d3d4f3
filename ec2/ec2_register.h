/* EC2 Query API calls of `kiln ec2 upload` (Version 2016-11-15, POST form
 * bodies, SigV4 service "ec2"), responses read with libxml2:
 *   RegisterImage      the AMI of ec2/ec2_kit.h's description
 *   DescribeSnapshots  to wait until an EBS direct snapshot is `completed`
 * Functions log their errors and return 0 or a negative errno. */
#ifndef KILN_EC2_REGISTER_H
#define KILN_EC2_REGISTER_H
#include "lib/aws_request.h"
#include "ec2/ec2_kit.h"

#define EC2_API_VERSION "2016-11-15"

/* The RegisterImage form body: Action, Version, Name, Description,
 * Architecture, RootDeviceName, BlockDeviceMapping.N.DeviceName and
 * .Ebs.{SnapshotId,VolumeSize,VolumeType,DeleteOnTermination},
 * VirtualizationType, EnaSupport, SriovNetSupport, BootMode, ImdsSupport;
 * values percent-encoded as SigV4 wants. */
void ec2_register_query(const struct ec2_ami *a, struct buf *out);

/* RegisterImage; the new id ("ami-...") into image_id. */
int ec2_register_image(const struct aws_service *ec2, const struct ec2_ami *a, char *image_id, size_t len);

/* Polls DescribeSnapshots until the snapshot is `completed` (-EIO if it
 * turns `error`, -ETIMEDOUT after timeout_s seconds). */
int ec2_wait_snapshot(const struct aws_service *ec2, const char *snapshot_id, unsigned timeout_s);

/* From a response body: the text of the first element named `name`
 * (namespace ignored), or -ENOENT / -EBADMSG (not XML). For tests. */
int ec2_xml_find(const char *xml, size_t len, const char *name, char *out, size_t out_len);
#endif
