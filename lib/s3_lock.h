/* S3 object lock's wire format (docs/backup.md#object-lock): the bucket's
 * lock configuration (PutObjectLockConfiguration's body, the answer of
 * GetObjectLockConfiguration), the Content-MD5 those requests need, and
 * telling a refusal by the lock from other refusals. No I/O; the requests
 * are firstboot/s3.h's (the minio role) and lib/s3_objects.h's (prune). */
#ifndef KILN_S3_LOCK_H
#define KILN_S3_LOCK_H
#include "lib/buf.h"
#include <stdbool.h>
#include <stddef.h>

enum s3_lock_mode { S3_LOCK_NONE = 0, S3_LOCK_GOVERNANCE, S3_LOCK_COMPLIANCE };

struct s3_lock_conf {
	bool enabled;               /* ObjectLockEnabled: Enabled */
	enum s3_lock_mode mode;     /* the default retention's; NONE: no default rule */
	unsigned days, years;       /* one of them, with a mode */
};

#define S3_LOCK_MAX_DAYS 36500u /* MinIO's limit: 100 years */
#define S3_MD5_B64_LEN 25       /* base64 of 16 bytes and its NUL */

/* "GOVERNANCE", "COMPLIANCE", "none". */
const char *s3_lock_mode_name(enum s3_lock_mode m);
/* The PutObjectLockConfiguration body: lock enabled, a default retention of
 * `days` in `mode`. -EINVAL for S3_LOCK_NONE or days outside 1..S3_LOCK_MAX_DAYS. */
int s3_lock_conf_xml(enum s3_lock_mode mode, unsigned days, struct buf *out);
/* GetObjectLockConfiguration's answer. -EBADMSG when it is none (no
 * ObjectLockConfiguration root, an unknown mode, neither or both of Days and
 * Years, a number that is not one). */
int s3_lock_conf_parse(const char *xml, size_t len, struct s3_lock_conf *c);
/* "COMPLIANCE, 7 days", "GOVERNANCE, 1 year", "enabled, no default retention", "none". */
void s3_lock_conf_describe(const struct s3_lock_conf *c, char *out, size_t len);
/* Content-MD5: base64 of the body's MD5. */
void s3_content_md5(const void *data, size_t len, char out[S3_MD5_B64_LEN]);
/* Whether a failed request's reason (lib/aws_request's "HTTP 400 CODE:
 * message") is the object lock refusing to delete or weaken a version:
 * MinIO's 400 InvalidRequest "Object is WORM protected ..." or AWS S3's
 * 403 AccessDenied "... protected by object lock". */
bool s3_lock_refused(const char *why);
#endif
