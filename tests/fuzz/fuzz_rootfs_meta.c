/* libFuzzer: the record kept beside a cached rootfs (images/rootfs_meta.c).
 * A record that parses is written back and must parse to the same text;
 * its JSON and summary are made too. */
#include "images/rootfs_meta.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rootfs_meta m, again;
	if (rootfs_meta_parse((const char *)data, size, &m) != 0)
		return 0;
	char *t = rootfs_meta_text(&m);
	if (rootfs_meta_parse(t, strlen(t), &again) != 0)
		abort();
	char *t2 = rootfs_meta_text(&again);
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
