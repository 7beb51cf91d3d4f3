/* libFuzzer: what kiln-firstboot makes of the S3 answers it reads from
 * MinIO (firstboot/s3.c over lib/aws_request.c): HEAD bucket in the app
 * host's join, PUT bucket (409 BucketAlreadyOwnedByYou is success), PUT and
 * GET ?versioning with their XML bodies, error bodies with a <Code>. HTTP
 * goes through tests/fuzz/fake_curl.h. Whatever the answers: no crash, leak
 * or hang, and the reason handed back for a failure is one line of
 * printable text: it becomes a step's reason in status.json, on the console
 * and in /etc/issue. */
#include "tests/fuzz/fake_curl.h"
#include "firstboot/s3.h"
#include "lib/log.h"
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(enum log_level lvl, const char *msg, void *ud) { (void)lvl; (void)msg; (void)ud; }

static void check_reason(const char *why, size_t len)
{
	if (!memchr(why, '\0', len))
		abort();
	for (const unsigned char *p = (const unsigned char *)why; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			abort();   /* not one line of printable ASCII */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_set_sink(quiet, NULL);
	fake_curl_load(data, size);
	struct s3_conn c = { .endpoint = "http://192.0.2.10:9000", .access_key = "AKIDFUZZ", .secret_key = "fuzz-secret",
			     .timeout_ms = 1 };
	char why[300];
	bool enabled;
	memset(why, 'x', sizeof why);
	why[0] = '\0';
	if (s3_head_bucket(&c, "data", why, sizeof why) < 0)
		check_reason(why, sizeof why);
	why[0] = '\0';
	if (s3_create_bucket(&c, "data", why, sizeof why) < 0)
		check_reason(why, sizeof why);
	why[0] = '\0';
	if (s3_set_versioning(&c, "data", true, why, sizeof why) < 0)
		check_reason(why, sizeof why);
	why[0] = '\0';
	if (s3_get_versioning(&c, "data", &enabled, why, sizeof why) < 0)
		check_reason(why, sizeof why);
	return 0;
}
