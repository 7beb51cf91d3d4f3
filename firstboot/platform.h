/* Where is this appliance running? Decided from DMI/hypervisor facts the
 * kernel exposes, never by probing the network: EC2 (then the seed is the
 * IMDSv2 user data), VMware (OVF environment), or anything else (a seed file
 * or partition written by `kiln install` or baked into the image). */
#ifndef KILN_FB_PLATFORM_H
#define KILN_FB_PLATFORM_H
#include <stddef.h>

enum platform { PLATFORM_OTHER, PLATFORM_EC2, PLATFORM_VMWARE };
const char *platform_name(enum platform p);   /* "other", "ec2", "vmware" */

/* sysroot: "" or "/" for the running system; a directory in tests. The
 * evidence (e.g. "dmi sys_vendor=Amazon EC2") is written into why. */
enum platform platform_detect(const char *sysroot, char *why, size_t why_len);
#endif
