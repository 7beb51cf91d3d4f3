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
/* The first GPT partition of type_guid on the device or image open on fd
 * (libblkid, 512-byte sectors whatever the device says): its number (from
 * 1), start and size in bytes, partition GUID (uuid[37]); -ENOENT: none. */
struct media_part {
	uint32_t partno;
	uint64_t start, size;
	char uuid[37];
};
int media_part_by_type(int fd, const char *type_guid, struct media_part *out);
/* The payload partition of the device or image open on fd; -ENOENT: none. */
int media_payload_part(int fd, uint64_t *start, uint64_t *size);
void medium_close(struct medium *m);
#endif
