/* Target "iso": per host (or per role) a hybrid ISO installer (targets/media.h): boots
 * as a CD-ROM (El Torito BIOS and EFI) and when written to a USB stick (GRUB's
 * hybrid MBR; GPT with the ESP and the payload as partitions). */
#include "targets/media.h"

static int iso_package_hosts(const struct target_ctx *c, const struct host_set *hs, const struct role_images *img,
			     char **out)
{
	return media_build(c, hs, img, MEDIA_ISO, out);
}

static void iso_readme(const struct target_ctx *c, struct buf *b)
{
	media_readme(c, MEDIA_ISO, b);
}

const struct kiln_target target_iso = {
	.name = "iso",
	.summary = "OUT/<deployment>-<host>.iso per host (-<role>.iso with --per-role): a UEFI and BIOS\n"
		   "        installer, CD-ROM or USB stick",
	.check_hosts = media_check,
	.package_hosts = iso_package_hosts,
	.readme = iso_readme,
};
