/* Write a VMDK version 3 streamOptimized file (VMware's layout: compressed
 * grains with markers, each GT after its grains, GD + footer + EOS at the end)
 * from a raw disk image. Holes in the raw image (SEEK_DATA/SEEK_HOLE) and
 * data grains that are all zeros are not stored. Grains are compressed in
 * parallel; the output is byte-identical for the same input and options,
 * whatever the thread count (the CID is derived from the content). */
#ifndef KILN_VMDK_STREAM_H
#define KILN_VMDK_STREAM_H
#include "esxi/grain_compress.h"
#include <stdint.h>

/* Largest virtual disk accepted (64 TiB): far beyond what the 32-bit sector
 * offsets of a sparse extent can usually hold once written, and it bounds
 * the in-memory grain directory. */
#define VMDK_MAX_DISK_BYTES (UINT64_C(64) << 40)

struct vmdk_stream_opts {
	const char *adapter;       /* ddb.adapterType; NULL = "lsilogic" */
	const char *extent_name;   /* file name on the extent line; NULL = "disk.vmdk" */
	unsigned threads;          /* compression threads; 0 = all online CPUs */
	enum grain_codec codec;
	int level;                 /* 0 = GRAIN_LEVEL_DEFAULT */
	int progress;              /* report progress on stderr */
};

struct vmdk_stream_stats {
	uint64_t capacity_bytes;   /* virtual disk size: raw size rounded up to 512 */
	uint64_t populated_bytes;  /* bytes of the disk covered by stored grains */
	uint64_t file_bytes;       /* size of the .vmdk written */
	uint64_t grains_stored;
	uint64_t grains_zero;      /* data grains skipped because all zeros */
};

void vmdk_stream_opts_init(struct vmdk_stream_opts *o);

/* Write the VMDK for the raw image in_fd (size bytes; reads past its end
 * read as zeros) to out_fd, which must be an empty, seekable file at offset
 * 0: the descriptor (with the content-derived CID) is written last. Does not
 * log; returns 0 or a negative errno (-EINVAL for bad options or size 0,
 * -EFBIG for a disk over VMDK_MAX_DISK_BYTES or when the output would pass
 * the format's 2 TiB file offset limit). */
int vmdk_stream_write(int in_fd, uint64_t size, int out_fd, const struct vmdk_stream_opts *o,
		      struct vmdk_stream_stats *stats);

/* Convert the raw image in_path (regular file or block device) into out_path,
 * written to a temporary name in the same directory and renamed when
 * complete. extent_name defaults to out_path's basename. Logs its errors;
 * returns 0 or a negative errno. stats may be NULL. */
int vmdk_stream_convert(const char *in_path, const char *out_path, const struct vmdk_stream_opts *o,
			struct vmdk_stream_stats *stats);
#endif
