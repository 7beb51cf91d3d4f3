/* The bearer token MinIO's metrics endpoint (/minio/v2/metrics/cluster)
 * requires, made as `mc admin prometheus generate` makes it: a JWT, HS512,
 * header {"alg":"HS512","typ":"JWT"}, claims {"exp":NOW+100y,"iss":
 * "prometheus","sub":ACCESS_KEY}, signed with the credential's secret key.
 * MinIO checks the signature with that credential's secret, the issuer,
 * the expiry, and that the credential's policy allows admin:Prometheus.
 * kiln mints it on the monitoring host from the metrics-only MinIO user
 * (secrets minio_metrics_access_key/_secret_key; docs/monitoring.md says
 * why not the root credential). Does not log. */
#ifndef KILN_FB_MINIO_TOKEN_H
#define KILN_FB_MINIO_TOKEN_H
#include <stdint.h>
#include "lib/buf.h"

#define MINIO_TOKEN_LIFETIME ((int64_t)100 * 365 * 24 * 3600)   /* mc's defaultPrometheusJWTExpiry */

/* Appends the token to out (wipe it: it is a credential). -EINVAL for an
 * access key that is not [A-Za-z0-9] (it goes into the JSON as is), -EIO
 * if OpenSSL fails. */
int minio_token(const char *access_key, const char *secret_key, int64_t now, struct buf *out);
#endif
