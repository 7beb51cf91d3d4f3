/* EC2 RegisterImage / DescribeSnapshots; see ec2_register.h. */
#include "ec2/ec2_register.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void param(struct buf *b, const char *name, const char *value)
{
	if (b->len)
		buf_putc(b, '&');
	aws_uri_encode(b, name);
	buf_putc(b, '=');
	aws_uri_encode(b, value);
}

void ec2_register_query(const struct ec2_ami *a, struct buf *b)
{
	param(b, "Action", "RegisterImage");
	param(b, "Version", EC2_API_VERSION);
	param(b, "Name", a->name);
	param(b, "Description", a->description);
	param(b, "Architecture", a->architecture);
	param(b, "RootDeviceName", a->root_device);
	for (size_t i = 0; i < a->n_disks; i++) {
		const struct ec2_ami_disk *d = &a->disks[i];
		char key[64], num[16];
		snprintf(key, sizeof key, "BlockDeviceMapping.%zu.DeviceName", i + 1);
		param(b, key, d->device);
		if (d->snapshot_id) {
			snprintf(key, sizeof key, "BlockDeviceMapping.%zu.Ebs.SnapshotId", i + 1);
			param(b, key, d->snapshot_id);
		}
		snprintf(key, sizeof key, "BlockDeviceMapping.%zu.Ebs.VolumeSize", i + 1);
		snprintf(num, sizeof num, "%u", d->gib);
		param(b, key, num);
		snprintf(key, sizeof key, "BlockDeviceMapping.%zu.Ebs.VolumeType", i + 1);
		param(b, key, d->volume_type);
		snprintf(key, sizeof key, "BlockDeviceMapping.%zu.Ebs.DeleteOnTermination", i + 1);
		param(b, key, d->delete_on_termination ? "true" : "false");
	}
	param(b, "VirtualizationType", a->virtualization);
	param(b, "EnaSupport", a->ena ? "true" : "false");
	param(b, "SriovNetSupport", a->sriov);
	param(b, "BootMode", a->boot_mode);
	param(b, "ImdsSupport", a->imds);
}

static const xmlNode *find(const xmlNode *n, const char *name)
{
	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
			return n;
		const xmlNode *c = find(n->children, name);
		if (c)
			return c;
	}
	return NULL;
}

int ec2_xml_find(const char *xml, size_t len, const char *name, char *out, size_t out_len)
{
	if (len > 1 << 20)
		return -EBADMSG;
	xmlDoc *doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return -EBADMSG;
	const xmlNode *n = find(xmlDocGetRootElement(doc), name);
	int r = -ENOENT;
	if (n) {
		xmlChar *t = xmlNodeGetContent(n);
		if (t) {
			size_t k = 0;
			for (const xmlChar *p = t; *p && k + 1 < out_len; p++)
				if (*p > 0x20 && *p < 0x7f)
					out[k++] = (char)*p;
			out[k] = 0;
			r = k ? 0 : -ENOENT;
			xmlFree(t);
		}
	}
	xmlFreeDoc(doc);
	return r;
}

static int ec2_call(const struct aws_service *ec2, const struct buf *body, const char *what, struct buf *resp)
{
	struct aws_req r = {
		.method = "POST", .path = "/", .content_type = "application/x-www-form-urlencoded; charset=utf-8",
		.body = body->data, .body_len = body->len,
	};
	char why[512];
	int e = aws_request(ec2, &r, what, resp, why, sizeof why);
	if (e < 0)
		log_error("EC2 %s failed: %s", what, why);
	return e;
}

int ec2_register_image(const struct aws_service *ec2, const struct ec2_ami *a, char *image_id, size_t len)
{
	struct buf q, resp;
	buf_init(&q);
	buf_init(&resp);
	ec2_register_query(a, &q);
	int r = ec2_call(ec2, &q, "RegisterImage", &resp);
	if (r == 0 && (ec2_xml_find(resp.data, resp.len, "imageId", image_id, len) < 0 || strncmp(image_id, "ami-", 4)))
		r = log_error_errno(EBADMSG, "EC2 RegisterImage answered without an imageId");
	buf_free(&q);
	buf_free(&resp);
	return r;
}

int ec2_wait_snapshot(const struct aws_service *ec2, const char *snapshot_id, unsigned timeout_s)
{
	struct buf q;
	buf_init(&q);
	param(&q, "Action", "DescribeSnapshots");
	param(&q, "Version", EC2_API_VERSION);
	param(&q, "SnapshotId.1", snapshot_id);
	struct aws_req req = {
		.method = "POST", .path = "/", .content_type = "application/x-www-form-urlencoded; charset=utf-8",
		.body = q.data, .body_len = q.len,
	};
	time_t start = time(NULL);
	unsigned delay = 1;
	int r;
	for (;;) {
		struct buf resp;
		buf_init(&resp);
		char status[32] = "", why[512];
		r = aws_request(ec2, &req, "DescribeSnapshots", &resp, why, sizeof why);
		if (r < 0 && strstr(why, "InvalidSnapshot.NotFound")) {
			/* EC2 is eventually consistent: a snapshot EBS just made may not be
			 * visible to it yet. */
			snprintf(status, sizeof status, "not visible to EC2 yet");
			r = 0;
		} else if (r < 0)
			log_error("EC2 DescribeSnapshots failed: %s", why);
		else if (ec2_xml_find(resp.data, resp.len, "status", status, sizeof status) < 0)
			r = log_error_errno(EBADMSG, "EC2 DescribeSnapshots answered without the status of %s",
					    snapshot_id);
		buf_free(&resp);
		if (r < 0)
			break;
		if (!strcmp(status, "completed"))
			break;
		if (!strcmp(status, "error")) {
			r = log_error_errno(EIO, "snapshot %s ended in state error", snapshot_id);
			break;
		}
		if ((unsigned)(time(NULL) - start) + delay > timeout_s) {
			log_error("snapshot %s still %s after %u s", snapshot_id, status, timeout_s);
			r = -ETIMEDOUT;
			break;
		}
		log_info("snapshot %s is %s; asking again in %u s", snapshot_id, status, delay);
		struct timespec ts = { delay, 0 };
		nanosleep(&ts, NULL);
		if (delay < 15)
			delay *= 2;
	}
	buf_free(&q);
	return r;
}
