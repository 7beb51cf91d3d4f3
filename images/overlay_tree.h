/* The role overlay: entries laid over the rootfs tar when the image is
 * written (images/ext4_writer.h), assembled in memory. */
#ifndef KILN_OVERLAY_TREE_H
#define KILN_OVERLAY_TREE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "images/ext4_writer.h"

struct overlay {
	struct overlay_entry *v;
	size_t n, cap;
	bool *secret;                   /* per entry: wipe its data when freed */
};

/* Each add copies path/data/target. */
void overlay_add_dir(struct overlay *o, const char *path, mode_t mode);
void overlay_add_file(struct overlay *o, const char *path, mode_t mode, const void *data,
		      size_t len, bool secret);
void overlay_add_symlink(struct overlay *o, const char *path, const char *target);
/* A file streamed from host file src_path when the image is written (too
 * big to hold in memory): it must then still be size bytes and hash to
 * sha256_hex (64 hex digits). */
void overlay_add_file_from(struct overlay *o, const char *path, mode_t mode, const char *src_path, uint64_t size,
			   const char *sha256_hex);

/* Add the tree under host directory `dir` (dir itself = "/"), in sorted
 * order so parents come first; owners become root, permission bits are
 * kept. Regular files, directories and symlinks only. Logs once. */
int overlay_add_tree(struct overlay *o, const char *dir);

void overlay_free(struct overlay *o);
#endif
