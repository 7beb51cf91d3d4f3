#include "firstboot/platform.h"
#include "lib/input.h"
#include "lib/xalloc.h"
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *platform_name(enum platform p)
{
	switch (p) {
	case PLATFORM_EC2: return "ec2";
	case PLATFORM_VMWARE: return "vmware";
	default: return "other";
	}
}

/* First line of a sysfs file, trimmed; NULL if unreadable. */
static char *sys_read(const char *sysroot, const char *path)
{
	char *full = xasprintf("%s%s", sysroot ? sysroot : "", path);
	char *data = NULL;
	size_t len;
	int r = read_input(full, INPUT_NOFOLLOW, 4096, &data, &len);
	free(full);
	if (r < 0)
		return NULL;
	data[strcspn(data, "\n")] = '\0';
	for (size_t n = strlen(data); n && isspace((unsigned char)data[n - 1]); n--)
		data[n - 1] = '\0';
	return data;
}

static bool starts_ci(const char *s, const char *prefix)
{
	return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* SMBIOS may present the UUID's first three fields byte-swapped: the EC2
 * marker then reads "45E12AEC-..." instead of "EC2xxxxx-...". */
static bool uuid_is_ec2(const char *u)
{
	if (starts_ci(u, "ec2"))
		return true;
	if (!u || strlen(u) < 8)
		return false;
	char sw[9] = { u[6], u[7], u[4], u[5], u[2], u[3], u[0], u[1], 0 };
	return starts_ci(sw, "ec2");
}

enum platform platform_detect(const char *sysroot, char *why, size_t why_len)
{
	enum platform p = PLATFORM_OTHER;
	char *hv = sys_read(sysroot, "/sys/hypervisor/uuid");
	char *vendor = sys_read(sysroot, "/sys/class/dmi/id/sys_vendor");
	char *product = sys_read(sysroot, "/sys/class/dmi/id/product_name");
	char *uuid = sys_read(sysroot, "/sys/class/dmi/id/product_uuid");
	char *asset = sys_read(sysroot, "/sys/class/dmi/id/board_asset_tag");

	if (starts_ci(hv, "ec2")) {
		p = PLATFORM_EC2;
		snprintf(why, why_len, "/sys/hypervisor/uuid=%s", hv);
	} else if (vendor && !strcmp(vendor, "Amazon EC2")) {
		p = PLATFORM_EC2;
		snprintf(why, why_len, "dmi sys_vendor=%s", vendor);
	} else if (uuid_is_ec2(uuid)) {
		p = PLATFORM_EC2;
		snprintf(why, why_len, "dmi product_uuid=%s", uuid);
	} else if (asset && !strncmp(asset, "i-", 2) && strlen(asset) > 3) {
		p = PLATFORM_EC2;
		snprintf(why, why_len, "dmi board_asset_tag=%s", asset);
	} else if (starts_ci(vendor, "VMware") || starts_ci(product, "VMware")) {
		p = PLATFORM_VMWARE;
		snprintf(why, why_len, "dmi sys_vendor=%s product_name=%s", vendor ? vendor : "-",
			 product ? product : "-");
	} else {
		snprintf(why, why_len, "dmi sys_vendor=%s product_name=%s", vendor ? vendor : "-",
			 product ? product : "-");
	}
	free(hv);
	free(vendor);
	free(product);
	free(uuid);
	free(asset);
	return p;
}
