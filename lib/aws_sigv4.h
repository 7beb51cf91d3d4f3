/* AWS Signature Version 4 for one request's headers (kiln signs itself:
 * libcurl 7.88's CURLOPT_AWS_SIGV4 sorts the canonical headers as whole
 * "name:value" lines, so x-amz-checksum-algorithm lands before
 * x-amz-checksum and AWS would refuse the PutSnapshotBlock/CompleteSnapshot
 * signatures). Used for every AWS-style call kiln makes: EBS and EC2 from
 * `kiln ec2 upload`, S3 from kiln-firstboot. Header names and values in
 * printable ASCII; the query string is passed already canonical. The secret key is used, never copied out. */
#ifndef KILN_AWS_SIGV4_H
#define KILN_AWS_SIGV4_H
#include "lib/buf.h"

struct aws_sigv4 {
	const char *method;           /* "PUT" */
	const char *path;             /* "/snapshots/snap-1/blocks/0" (unreserved characters and '/') */
	const char *query;            /* canonical query ("versioning=": sorted, encoded, '=' always), or NULL */
	const char *region, *service;
	const char *access_key, *secret_key;
	const char *amz_date;         /* "20130524T000000Z": also an x-amz-date header in headers */
	const char *payload_sha256;   /* lower-case hex, or "UNSIGNED-PAYLOAD" */
	const char *const *headers;   /* NULL-terminated "Name: value" to sign, Host included */
};

/* Appends the Authorization header's value. -EINVAL for a header without ':'
 * or an amz_date that is not 16 characters. */
int aws_sigv4_authorization(const struct aws_sigv4 *s, struct buf *out);

/* "YYYYMMDDTHHMMSSZ" for t. */
void aws_amz_date(long long t, char out[17]);
#endif
