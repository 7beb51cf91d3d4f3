/* libFuzzer: the install record a disk's first MiB may hold (baremetal/
 * record.c), and its carried signature checked against a fixed key. A record
 * that parses is written back and must parse to the same fields. */
#include "baremetal/record.h"
#include "tests/unit/seed_fixture.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct minisign_pub fixed;
	static uint8_t *block, *out;
	if (!block) {
		minisign_key_free(seed_fx_operator_key(1, &fixed));
		block = malloc(BM_RECORD_SIZE);
		out = malloc(BM_RECORD_SIZE);
		if (!block || !out)
			abort();
	}
	/* as on a disk: the input, then zeros to the end of the block */
	size_t n = size < BM_RECORD_SIZE ? size : BM_RECORD_SIZE;
	memset(block, 0, BM_RECORD_SIZE);
	memcpy(block, data, n);
	struct bm_record r, again;
	if (bm_record_parse(block, BM_RECORD_SIZE, &r) != 0)
		return 0;
	char *dep;
	uint64_t v;
	if (bm_record_carried(&r, &fixed, &dep, &v, NULL) == 0)
		free(dep);
	if (bm_record_format(&r, out) == 0) {
		if (bm_record_parse(out, BM_RECORD_SIZE, &again) != 0 || again.state != r.state ||
		    again.version != r.version || strcmp(again.image, r.image) != 0 ||
		    again.has_carried != r.has_carried)
			abort();
		bm_record_free(&again);
	}
	bm_record_free(&r);
	return 0;
}
