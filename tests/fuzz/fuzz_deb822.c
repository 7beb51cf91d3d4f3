/* libFuzzer: Debian control data as kiln reads it from a build (images/
 * deb822.c): every paragraph and the fields the security report uses, and
 * the Date: of a Release/InRelease. */
#include "images/deb822.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = { "Package", "Version", "Status", "Architecture", "Date" };
	const char *text = (const char *)data;
	size_t pos = 0, last = 0;
	struct deb822_para p;
	while (deb822_next(text, size, &pos, &p)) {
		if (pos <= last && last)
			abort();   /* no progress */
		last = pos;
		if (p.p < text || p.p + p.len > text + size)
			abort();
		for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
			char *v = deb822_field(&p, fields[i]);
			if (v && i == 4)
				(void)deb822_date(v);
			free(v);
		}
	}
	(void)deb822_release_date(text, size);
	return 0;
}
