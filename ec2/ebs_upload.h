/* A raw disk image into a new EBS snapshot through the EBS direct APIs
 * (shared formats reference §4.3):
 *   StartSnapshot    POST /snapshots, JSON {VolumeSize GiB, Description,
 *                    ClientToken, Timeout, Tags}; the answer's BlockSize
 *                    must be 524288
 *   PutSnapshotBlock PUT /snapshots/ID/blocks/N per 512 KiB block that holds
 *                    data: x-amz-Data-Length 524288, x-amz-Checksum (base64
 *                    SHA-256 of the block), x-amz-Checksum-Algorithm SHA256;
 *                    the body is not signed (UNSIGNED-PAYLOAD)
 *   CompleteSnapshot POST /snapshots/completion/ID, x-amz-ChangedBlocksCount
 *                    and the LINEAR aggregate: base64 SHA-256 of the blocks'
 *                    raw 32-byte digests concatenated in block-index order
 * Holes (SEEK_DATA/SEEK_HOLE) and all-zero blocks are not sent: a new
 * snapshot reads zeros where nothing was written. The last block is padded
 * with zeros. Up to `jobs` blocks are in flight (curl multi); every request
 * is retried with back-off on 5xx, throttling and connection errors, at
 * most AWS_MAX_ATTEMPTS times. Logs its errors.
 * Header names go out in lower case (x-amz-checksum, ...): HTTP header names
 * are case-insensitive, and libcurl 7.88 sorts SignedHeaders before it
 * lower-cases them, so "x-amz-Checksum" would make an unsorted list that
 * AWS's verifier rejects. */
#ifndef KILN_EBS_UPLOAD_H
#define KILN_EBS_UPLOAD_H
#include "lib/aws_request.h"
#include <stdint.h>

#define EBS_BLOCK_SIZE 524288u
#define EBS_MAX_GIB 65536u

struct ebs_upload_opts {
	const char *image;          /* raw image (regular file or block device) */
	const char *description;    /* snapshot description */
	const char *name;           /* Name tag; NULL: none */
	unsigned jobs;              /* blocks in flight; 0 = 16 */
	unsigned timeout_min;       /* StartSnapshot Timeout; 0 = 60 */
	int progress;               /* report on stderr */
};

struct ebs_upload_result {
	char snapshot_id[64];       /* set as soon as StartSnapshot answered */
	unsigned volume_gib;
	uint64_t image_bytes;
	uint64_t blocks_sent, blocks_skipped, retries;
};

/* 0 when the snapshot is complete (CompleteSnapshot accepted). On failure
 * after StartSnapshot, res->snapshot_id names the snapshot left pending. */
int ebs_upload(const struct aws_service *ebs, const struct ebs_upload_opts *o, struct ebs_upload_result *res);

/* LINEAR aggregation of n per-block SHA-256 digests (in block-index order),
 * base64 into out (at least 45 bytes). */
void ebs_checksum_linear(const uint8_t (*digests)[32], size_t n, char out[45]);

/* VolumeSize for an image of `bytes`: ceil(bytes / GiB), at least 1. */
unsigned ebs_volume_gib(uint64_t bytes);
#endif
