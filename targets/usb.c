/* Target "usb": per host (or per role) a raw disk image to write to a USB stick
 * (targets/media.h): GPT with the installer's ESP, the payload and a BIOS boot
 * partition (GRUB's core.img; boot.img in the MBR). */
#include "targets/media.h"

static int usb_package_hosts(const struct target_ctx *c, const struct host_set *hs, const struct role_images *img,
			     char **out)
{
	return media_build(c, hs, img, MEDIA_USB, out);
}

static void usb_readme(const struct target_ctx *c, struct buf *b)
{
	media_readme(c, MEDIA_USB, b);
}

const struct kiln_target target_usb = {
	.name = "usb",
	.summary = "OUT/<deployment>-<host>.img per host (-<role>.img with --per-role): a UEFI and BIOS\n"
		   "        installer to write to a USB stick",
	.check_hosts = media_check,
	.package_hosts = usb_package_hosts,
	.readme = usb_readme,
};
