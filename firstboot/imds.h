/* EC2 Instance Metadata Service, version 2 only (libcurl).
 * A session token is obtained with PUT /latest/api/token (TTL header) and sent
 * on every GET; there is deliberately no IMDSv1 fallback. Every wait is
 * bounded by opts.deadline_ms: an unreachable IMDS gives -ETIMEDOUT with a
 * message, never a hang. The token is never logged. */
#ifndef KILN_FB_IMDS_H
#define KILN_FB_IMDS_H
#include "lib/buf.h"

struct imds_opts {
	const char *base_url;           /* default "http://169.254.169.254" */
	unsigned token_ttl;             /* seconds, 1..21600; default 21600 */
	unsigned deadline_ms;           /* overall budget for reaching IMDS; default 60000 */
	unsigned request_timeout_ms;    /* per request; default 2000 */
};

struct imds;

/* Gets the first token. -ETIMEDOUT: no answer within the deadline;
 * -EACCES: IMDS answered 403 (disabled for this instance); -EPROTO: other
 * unexpected answer. A message saying which is logged. */
int imds_open(struct imds **out, const struct imds_opts *o);
/* GET /latest/<path>. 0 with the body in out; -ENOENT on 404 (e.g. no user
 * data); -ETIMEDOUT/-EPROTO as above. Refreshes an expired token once (401). */
int imds_get(struct imds *m, const char *path, struct buf *out);
void imds_close(struct imds *m);
#endif
