/* libFuzzer: the bmap reader (baremetal/bmap.c) on any bytes, and a map it
 * accepts written back and read again to the same ranges. */
#include "baremetal/bmap.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bm_map m, again;
	char why[256];
	if (bm_map_parse((const char *)data, size, &m, why, sizeof why) != 0)
		return 0;
	struct buf b;
	buf_init(&b);
	bm_map_format(&m, &b);
	if (bm_map_parse(b.data, b.len, &again, why, sizeof why) != 0 || again.n != m.n ||
	    again.image_size != m.image_size || again.mapped_bytes != m.mapped_bytes)
		abort();
	for (size_t i = 0; i < m.n; i++)
		if (again.v[i].offset != m.v[i].offset || again.v[i].length != m.v[i].length ||
		    memcmp(again.v[i].sha256, m.v[i].sha256, 32) != 0)
			abort();
	bm_map_free(&again);
	bm_map_free(&m);
	buf_free(&b);
	return 0;
}
