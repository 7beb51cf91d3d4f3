/* Target "raw": the bootable raw disk image of each role as kiln build
 * writes it (OUT/<deployment>-<role>.raw, and -data.raw for the roles with
 * a data disk), for `kiln install`, dd, or any hypervisor that takes raw
 * disks. Nothing more to package, no seeds to hand out. */
#include "targets/target.h"

const struct kiln_target target_raw = {
	.name = "raw",
	.summary = "OUT/<deployment>-<role>.raw, -data.raw for mysql and minio",
};
