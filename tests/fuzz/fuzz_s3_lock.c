/* libFuzzer: the object lock and version answers kiln reads from an S3
 * store: GetObjectLockConfiguration (lib/s3_lock.c) and ListObjectVersions
 * pages (lib/s3_objects.c), what the minio role and `kiln backup prune` act
 * on. The first byte picks the parser. Whatever the bytes: no crash, leak or
 * hang; a parsed configuration is one kiln could have meant (a mode with
 * exactly one of days and years, within S3_LOCK_MAX_DAYS), a parsed page
 * has a key and a version id per entry and markers only when truncated. */
#include "lib/s3_lock.h"
#include "lib/s3_objects.h"
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	const char *xml = (const char *)data + 1;
	size_t len = size - 1;
	if (data[0] & 1) {
		struct s3_lock_conf c;
		if (s3_lock_conf_parse(xml, len, &c) == 0 && c.mode != S3_LOCK_NONE &&
		    (!c.days == !c.years || c.days > S3_LOCK_MAX_DAYS || c.years > S3_LOCK_MAX_DAYS))
			abort();
		char s[96];
		s3_lock_conf_describe(&c, s, sizeof s);
		return 0;
	}
	struct s3_version *v = NULL;
	size_t n = 0, cap = 0;
	char *nk = NULL, *nv = NULL;
	if (s3_versions_page_parse(xml, len, &v, &n, &cap, &nk, &nv) == 0) {
		for (size_t i = 0; i < n; i++)
			if (!v[i].key || !v[i].version_id || !*v[i].version_id)
				abort();
		if (nv && !nk)
			abort();
	}
	free(nk);
	free(nv);
	s3_versions_free(v, n);
	return 0;
}
