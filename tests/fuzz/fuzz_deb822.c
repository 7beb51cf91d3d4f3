/* libFuzzer: Debian control data as kiln reads it from a build (images/
 * deb822.c): every paragraph and the fields the security report uses, the
 * Date: of a Release/InRelease, and the security report itself
 * (rootfs_meta_security) with the input as both the dpkg status and the
 * security archive's Packages index: then every installed package is at a
 * version the index has, so exactly the packages the status lists as
 * installed are reported, sorted by name (when the index reads as the same
 * text: no NUL byte, it starts "Package:", which no compressor's magic
 * number does, and no line starts "begin", which libarchive's uudecode
 * filter looks for, so libarchive passes it through unfiltered). */
#include "images/deb822.h"
#include "images/rootfs_meta.h"
#include "tests/fuzz/fuzz_file.h"
#include <stdbool.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Paragraphs rootfs_meta_security counts as installed: what its header says. */
static size_t installed(const char *text, size_t size)
{
	static const char *const fields[] = { "Package", "Version", "Status", "Architecture", "Date" };
	size_t pos = 0, last = 0, n = 0;
	struct deb822_para p;
	while (deb822_next(text, size, &pos, &p)) {
		if (pos <= last && last)
			abort();   /* no progress */
		last = pos;
		if (p.p < text || p.p + p.len > text + size)
			abort();
		char *v[5];
		for (size_t i = 0; i < 5; i++)
			v[i] = deb822_field(&p, fields[i]);
		if (v[4])
			(void)deb822_date(v[4]);
		if (v[0] && v[1] && *v[0] && *v[1] && !strchr(v[0], ' ') && !strchr(v[1], ' ') && v[2] &&
		    !strcmp(v[2], "install ok installed"))
			n++;
		for (size_t i = 0; i < 5; i++)
			free(v[i]);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t n = installed(text, size);
	(void)deb822_release_date(text, size);

	char *in = fuzz_file("status", data, size);
	struct rootfs_meta m = { 0 };
	char *idx[] = { in };
	int r = rootfs_meta_security(&m, in, idx, 1, NULL);
	unlink(in);
	free(in);
	bool same_text = !memchr(data, 0, size) && size >= 8 && !memcmp(data, "Package:", 8) &&
			 !memmem(data, size, "\nbegin", 6);
	if (same_text && (r != 0 || !m.security_known || m.n_security != n))
		abort();
	if (r == 0) {
		for (size_t i = 1; i < m.n_security; i++)
			if (strcmp(m.security[i - 1].name, m.security[i].name) > 0)
				abort();
	}
	rootfs_meta_free(&m);
	return 0;
}
