/* One AWS API request over libcurl, signed with Signature Version 4 by
 * lib/aws_sigv4.h (not CURLOPT_AWS_SIGV4: see there why), the error
 * classification AWS asks clients to retry on, and a blocking call with
 * bounded exponential back-off.
 *
 * Signed headers: Host, x-amz-date, Content-Type (if any), the caller's
 * headers, x-amz-security-token (session credentials). The body's SHA-256
 * is the payload hash unless unsigned_payload is set: then the hash is
 * UNSIGNED-PAYLOAD, sent as x-amz-content-sha256, and the body's integrity
 * rests on the caller's checksum header (EBS PutSnapshotBlock; the EBS
 * Smithy model marks it unsignedPayload). The secret key never reaches
 * libcurl; header copies holding the session token are wiped. */
#ifndef KILN_AWS_REQUEST_H
#define KILN_AWS_REQUEST_H
#include "lib/aws_creds.h"
#include "lib/buf.h"
#include <curl/curl.h>
#include <stdbool.h>

#define AWS_MAX_ATTEMPTS 8          /* attempts per request, the first included */
#define AWS_MAX_ATTEMPTS_LIMIT 20   /* the most the environment may ask for */

struct aws_service {
	const char *endpoint;     /* "https://ebs.eu-west-1.amazonaws.com", no trailing '/' */
	const char *region;
	const char *service;      /* SigV4 scope: "ebs", "ec2", "s3" (S3 also gets x-amz-content-sha256) */
	const struct aws_creds *creds;
};

struct aws_req {
	const char *method;           /* "POST", "PUT" */
	const char *path;             /* "/snapshots" */
	const char *query;            /* canonical query string without '?' ("versioning="), or NULL */
	const char *content_type;     /* NULL: none */
	const void *body;
	size_t body_len;
	const char *const *headers;   /* NULL-terminated "Name: value" list, or NULL */
	bool unsigned_payload;
	char *etag_out;               /* NULL, or gets the ETag response header (S3 UploadPart): printable */
	size_t etag_len;              /* ASCII without '<', '>', '&'; too long or absent: "" */
	const char *redact;           /* NULL, or a word the server's answer may echo that must not be
	                                 logged or returned (MinIO names a remote's access key): '*'s */
};

/* One transfer's state; usable on its own (aws_call_perform) or added to a
 * curl multi handle (ebs_upload). */
struct aws_call {
	CURL *h;
	struct curl_slist *hdr;
	char *url;
	struct buf resp;              /* response body (first 64 KiB) */
	char error_type[96];          /* x-amzn-ErrorType response header, if any */
	char etag[128];               /* ETag response header, if any (see aws_req.etag_out) */
	char curl_error[CURL_ERROR_SIZE];
};

/* Sets up c->h for r against s. -ENOMEM if libcurl cannot make a handle. */
int aws_call_setup(struct aws_call *c, const struct aws_service *s, const struct aws_req *r);
void aws_call_cleanup(struct aws_call *c);

enum aws_outcome { AWS_DONE, AWS_RETRY, AWS_FAILED };

/* After a transfer finished with cc: 2xx is AWS_DONE; connection errors,
 * timeouts, 5xx, 429 and the throttling error codes are AWS_RETRY; anything
 * else AWS_FAILED. *http gets the status (0 without a response). */
enum aws_outcome aws_call_outcome(struct aws_call *c, CURLcode cc, long *http);

/* A one-line reason for a failed transfer: "HTTP 403 InvalidSignatureException:
 * <the service's message>" or libcurl's error text. Only printable ASCII of
 * the response is kept. */
void aws_call_reason(const struct aws_call *c, CURLcode cc, long http, char *out, size_t len);

/* Whether a service error code means "slow down" (ThrottlingException,
 * RequestThrottledException, RequestLimitExceeded, Throttling, ...). */
bool aws_is_throttling(const char *code);

/* Delay before attempt number `attempt` (2, 3, ...): exponential from 200 ms,
 * capped at 10 s, with jitter in [d/2, d]. */
unsigned aws_backoff_ms(unsigned attempt);

/* Attempts per request: AWS_MAX_ATTEMPTS, or what the environment's
 * AWS_MAX_ATTEMPTS says (the AWS CLI's and SDKs' variable: attempts in all,
 * the first included), 1..AWS_MAX_ATTEMPTS_LIMIT; another value is ignored
 * with a warning (once). */
unsigned aws_max_attempts(void);

/* The request with up to aws_max_attempts() attempts. 0 with the body in
 * *resp (may be NULL); on failure the reason goes to why and the return is
 * -EACCES (401/403), -EPROTO (other HTTP errors), -ECONNREFUSED,
 * -ETIMEDOUT or -EIO (transport). Each retry is logged as a warning naming
 * `what` ("StartSnapshot"); the final failure is left to the caller. */
int aws_request(const struct aws_service *s, const struct aws_req *r, const char *what, struct buf *resp,
		char *why, size_t why_len);

/* Every occurrence of word (NULL or "": none) in s overwritten with '*'. */
void aws_redact(char *s, const char *word);

/* RFC 3986 percent-encoding as SigV4 wants it: all but A-Z a-z 0-9 - _ . ~ */
void aws_uri_encode(struct buf *out, const char *s);
#endif
