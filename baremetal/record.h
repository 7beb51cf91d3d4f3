/* The install record: a small text block kiln install keeps in the unused
 * tail of a disk's first MiB (after the GPT entries, before the first
 * partition; docs/install.md). It says
 *   - while the write runs ("in-progress"): this disk is being overwritten by
 *     kiln; its first MiB is otherwise zero, so it does not boot, and a rerun
 *     may write over it without --wipe;
 *   - once done ("complete"): which signed image the disk carries, as the
 *     minisign signature and the signed file's prehash, so the next install
 *     can check the version against a downgrade with the operator key alone.
 * An in-progress record carries the previous complete one's signature
 * forward, so an interrupted upgrade keeps the downgrade protection.
 *
 *   kiln-install-record 1
 *   state in-progress|complete
 *   time <unix seconds>
 *   image <basename of the image>
 *   deployment <name>
 *   version <N>
 *   carried-hash <BLAKE2b-512 prehash of the signed file, hex>      (optional,
 *   carried-sig <the .minisig text, base64>                          together)
 *   end
 * then zero bytes to the end of the block. Returns 0 or -errno, no logging. */
#ifndef KILN_BAREMETAL_RECORD_H
#define KILN_BAREMETAL_RECORD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/minisign.h"

#define BM_RECORD_OFFSET (1024u * 1024u - 65536u)
#define BM_RECORD_SIZE 65536u

enum bm_record_state { BM_RECORD_IN_PROGRESS, BM_RECORD_COMPLETE };

struct bm_record {
	enum bm_record_state state;
	int64_t time;
	char *image, *deployment;
	uint64_t version;
	bool has_carried;
	uint8_t carried_hash[MINISIGN_HASH_BYTES];
	char *carried_sig;
};

/* Fills out[BM_RECORD_SIZE]. -EINVAL: a text field holds anything but
 * printable ASCII without spaces; -E2BIG: it does not fit. */
int bm_record_format(const struct bm_record *r, uint8_t *out);

/* -ENOENT: no record (the block does not start with the magic line);
 * -EBADMSG: a record that is damaged. */
int bm_record_parse(const uint8_t *block, size_t len, struct bm_record *out);
void bm_record_free(struct bm_record *r);

/* What the disk carried, proven with the operator key: the carried
 * signature must verify against pub over the carried hash, and its trusted
 * comment must be kiln's. -ENOENT: nothing carried; other minisign errors
 * (-ENOKEY: another key) as minisign_verify_hash returns them. */
int bm_record_carried(const struct bm_record *r, const struct minisign_pub *pub,
		      char **deployment, uint64_t *version, int64_t *signed_at);
#endif
