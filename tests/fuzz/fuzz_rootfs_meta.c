/* libFuzzer: the record kept beside a cached rootfs (images/rootfs_meta.c),
 * read as kiln reads it: from a file, by rootfs_meta_read. Any bytes load or
 * are refused with -EBADMSG (and then nothing is left half-read); never a
 * crash, leak or hang. A record that loads writes back (rootfs_meta_write)
 * to a file that loads to the same text; its JSON and summary are made. */
#include "images/rootfs_meta.h"
#include "tests/fuzz/fuzz_file.h"
#include <errno.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *out;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!out)
		out = fuzz_path("out.meta");
	char *in = fuzz_file("in.meta", data, size);
	struct rootfs_meta m, again;
	int r = rootfs_meta_read(in, &m);
	unlink(in);
	free(in);
	if (r < 0) {
		if (r != -EBADMSG || m.n_archives || m.n_security || m.snapshot || m.security_suite)
			abort();
		return 0;
	}
	if (rootfs_meta_write(out, &m) < 0 || rootfs_meta_read(out, &again) < 0)
		abort();
	unlink(out);
	char *t = rootfs_meta_text(&m), *t2 = rootfs_meta_text(&again);
	if (strcmp(t, t2))
		abort();
	struct buf b;
	buf_init(&b);
	rootfs_meta_json(&m, &b);
	rootfs_meta_summary(&m, &b);
	buf_free(&b);
	free(t);
	free(t2);
	rootfs_meta_free(&m);
	rootfs_meta_free(&again);
	return 0;
}
