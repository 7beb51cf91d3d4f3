/* libFuzzer: the installer media's payload header (baremetal/payload.c), the
 * one structure of a medium kiln reads before any signature can be checked,
 * and the disk rule matcher (profiles/disk_rule.c) over facts taken from the
 * same bytes. A header that parses must keep every part inside the payload
 * and in order. */
#include "baremetal/payload.h"
#include "profiles/disk_rule.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *block;
	if (!block && !(block = malloc(BM_PAYLOAD_HEADER)))
		abort();
	size_t n = size < BM_PAYLOAD_HEADER ? size : BM_PAYLOAD_HEADER;
	memset(block, 0, BM_PAYLOAD_HEADER);
	memcpy(block, data, n);
	uint64_t limit = (uint64_t)1 << 40;
	struct bm_payload p;
	char why[256];
	if (bm_payload_parse_header(block, limit, &p, why, sizeof why) == 0) {
		uint64_t end = p.sig_off + p.sig_len;
		if (p.bmap_off < BM_PAYLOAD_HEADER || p.bmap_off + p.bmap_len > p.sig_off || !p.n_seeds ||
		    p.n_seeds > BM_PAYLOAD_SEEDS || !p.image || !p.image_size)
			abort();
		for (size_t i = 0; i < p.n_seeds; i++) {
			if (p.seeds[i].off < end || p.seeds[i].text)
				abort();
			end = p.seeds[i].off + p.seeds[i].len;
		}
		if (end > p.data_off || p.data_off + p.data_len > limit)
			abort();
		bm_payload_free(&p);
	}
	/* the same bytes as a disk's facts against a rule of globs */
	char text[96] = "";
	memcpy(text, data, size < sizeof text - 1 ? size : sizeof text - 1);
	struct disk_facts f = { .name = "vda", .size = size * (UINT64_C(1) << 26), .serial = text, .model = text,
				.path = text, .rotational = size & 1 };
	struct disk_rule r = { .set = true, .has_size = true, .size_min_gib = 1, .size_max_gib = 64,
			       .serial = text, .model = "*[A-Z]?*", .by_path = "*", .rotational = -1 };
	char reason[256];
	disk_rule_match(&r, "install.disk", &f, reason, sizeof reason);
	return 0;
}
