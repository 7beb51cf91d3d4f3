/* Byte-level encoding of a VMDK version 3 streamOptimized extent (VMware's
 * layout, see docs/vmdk.md and the shared formats reference §1): the sparse
 * extent header, the embedded descriptor, grain and metadata markers. Pure
 * functions, no I/O; vmdk_stream.c strings them together. */
#ifndef KILN_VMDK_FORMAT_H
#define KILN_VMDK_FORMAT_H
#include <stddef.h>
#include <stdint.h>

#define VMDK_SECTOR          512u
#define VMDK_GRAIN_SECTORS   128u                     /* 64 KiB grains */
#define VMDK_GRAIN_BYTES     (VMDK_GRAIN_SECTORS * VMDK_SECTOR)
#define VMDK_GTES_PER_GT     512u                     /* one GT covers 32 MiB */
#define VMDK_GT_SECTORS      (VMDK_GTES_PER_GT * 4u / VMDK_SECTOR)
#define VMDK_OVERHEAD        128u                     /* first grain's sector */
#define VMDK_GD_AT_END       UINT64_C(0xFFFFFFFFFFFFFFFF)
#define VMDK_MAGIC           0x564D444Bu              /* "KDMV" on disk */
#define VMDK_FLAGS_STREAM    0x00030001u              /* nl-test, compressed, markers */
#define VMDK_GRAIN_MARKER_HDR 12u                     /* u64 lba + u32 size */

enum vmdk_marker_type {
	VMDK_MARKER_EOS = 0,
	VMDK_MARKER_GT = 1,
	VMDK_MARKER_GD = 2,
	VMDK_MARKER_FOOTER = 3,
};

/* The header fields that vary; everything else is fixed for streamOptimized. */
struct vmdk_header {
	uint64_t capacity;          /* sectors */
	uint64_t descriptor_size;   /* sectors, starting at sector 1 */
	uint64_t gd_offset;         /* VMDK_GD_AT_END in the leading header */
};

/* Encode the 512-byte sparse extent header into out. */
void vmdk_header_encode(const struct vmdk_header *h, uint8_t out[VMDK_SECTOR]);

/* Encode a one-sector metadata marker (GT, GD, footer, EOS). */
void vmdk_marker_encode(enum vmdk_marker_type type, uint64_t num_sectors,
			uint8_t out[VMDK_SECTOR]);

/* Encode the 12-byte grain marker prefix: lba (virtual sector), size. */
void vmdk_grain_marker_encode(uint64_t lba, uint32_t size, uint8_t out[VMDK_GRAIN_MARKER_HDR]);

/* 0 if adapter is one the descriptor may name (ide, buslogic, lsilogic,
 * legacyESX, lsilogicsas, pvscsi), else -EINVAL. */
int vmdk_adapter_check(const char *adapter);

/* Render the descriptor text (ASCII, LF line endings). extent_name is the
 * file name written on the extent line; characters that are not printable
 * ASCII or are '"' or '\\' become '_'. cid is the content ID, long_cid the
 * 16-byte longContentID. Returns a malloc'd NUL-terminated string. */
char *vmdk_descriptor_render(uint64_t capacity, const char *adapter, const char *extent_name,
			     uint32_t cid, const uint8_t long_cid[16]);

/* Capacity in sectors for a raw image of size bytes (rounded up to 512). */
static inline uint64_t vmdk_capacity_for(uint64_t size)
{
	return (size + VMDK_SECTOR - 1) / VMDK_SECTOR;
}
#endif
