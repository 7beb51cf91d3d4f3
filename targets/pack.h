/* What the packaging targets (esxi, ec2) share: output names, the check of
 * a given image, a scratch directory beside the outputs, and the raw ->
 * streamOptimized VMDK step. Functions log their errors and return 0 or a
 * negative errno. */
#ifndef KILN_TARGETS_PACK_H
#define KILN_TARGETS_PACK_H
#include "esxi/vmdk_stream.h"
#include "lib/buf.h"
#include "targets/target.h"

/* "<dir>/<deployment>-<role><suffix>" (malloc'd): every output of a role. */
char *target_output_path(const char *dir, const struct model *m, enum role r, const char *suffix);

/* A regular file or block device that is not empty. */
int pack_check_image(const char *path);

/* A scratch directory next to the outputs, so renames stay on one
 * filesystem; pack_scratch_close removes it with every file named in it. */
struct pack_scratch {
	char *dir;
	char *files[12];
	size_t n;
};
int pack_scratch_open(struct pack_scratch *s, const char *out_dir);
const char *pack_scratch_file(struct pack_scratch *s, const char *name);
void pack_scratch_close(struct pack_scratch *s);

/* A new sparse file of gib GiB (0600). */
int pack_blank_disk(const char *path, unsigned gib);

/* raw -> streamOptimized VMDK with the options' threads and progress. */
int pack_to_vmdk(const char *raw, const char *vmdk, const char *adapter, const struct package_opts *o,
		 struct vmdk_stream_stats *st);

/* b into path (0644, atomically). */
int pack_write_buf(const char *path, const struct buf *b);
#endif
