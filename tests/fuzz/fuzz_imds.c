/* libFuzzer: what kiln-firstboot makes of the EC2 instance metadata
 * service's answers (firstboot/imds.c): the session token (PUT
 * /latest/api/token), the user data that carries the seed, and the
 * statuses in between (401 for an expired token, 403, 404, 5xx, no answer).
 * HTTP goes through tests/fuzz/fake_curl.h. Whatever the answers: no crash,
 * leak or hang; every request header stays one line (the token is sent back
 * in one); user data is bounded. */
#include "tests/fuzz/fake_curl.h"
#include "firstboot/imds.h"
#include "lib/log.h"
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(enum log_level lvl, const char *msg, void *ud) { (void)lvl; (void)msg; (void)ud; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_set_sink(quiet, NULL);
	fake_curl_load(data, size);
	/* A 1 ms budget: a failed request is not retried after a back-off
	 * sleep, which keeps runs fast and deterministic. */
	struct imds_opts o = { .base_url = "http://169.254.169.254", .deadline_ms = 1, .request_timeout_ms = 1 };
	struct imds *m;
	if (imds_open(&m, &o) < 0)
		return 0;
	struct buf out;
	buf_init(&out);
	if (imds_get(m, "user-data", &out) == 0 && out.len > (1u << 20))
		abort();   /* bounded: a seed is at most 16 KiB, the reader allows 1 MiB */
	buf_free(&out);
	buf_init(&out);
	imds_get(m, "meta-data/instance-id", &out);
	buf_free(&out);
	imds_close(m);
	return 0;
}
