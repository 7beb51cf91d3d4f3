/* The installer medium: the block device that carries a kiln payload
 * partition (GPT type BM_PAYLOAD_TYPE_GUID, baremetal/payload.h). A CD-ROM
 * has 2048-byte sectors but the hybrid ISO's GPT is laid out in 512-byte
 * ones, so libblkid is told 512 whatever the device says; the payload is
 * then read from the whole device at the partition's offset (the kernel
 * makes no partitions on a CD-ROM). Returns 0 or -errno; why says what. */
#ifndef KILN_MEDIUM_FIND_H
#define KILN_MEDIUM_FIND_H
#include <stdint.h>
#include <sys/types.h>

struct medium {
	char *node;            /* "/dev/sr0" */
	int fd;                /* open read-only */
	dev_t devno;
	uint64_t start, size;  /* the payload partition, bytes */
};

/* Looks once at every block device of <sysfs>/block (nodes in devdir).
 * -ENOENT: none carries a payload; -EEXIST: more than one does. */
int media_find(const char *sysfs, const char *devdir, struct medium *out, char *why, size_t why_len);
/* The payload partition of the device or image open on fd; -ENOENT: none. */
int media_payload_part(int fd, uint64_t *start, uint64_t *size);
void medium_close(struct medium *m);
#endif
