/* Target "usb": per host a raw disk image to write to a USB stick
 * (targets/media.h): GPT with the installer's ESP and the payload. */
#include "targets/media.h"

static int usb_package_host(const struct target_ctx *c, const struct host *h, const struct role_images *img,
			    const struct buf *seed, char **out)
{
	return media_build(c, h, img, seed, MEDIA_USB, out);
}

static void usb_readme(const struct target_ctx *c, struct buf *b)
{
	media_readme(c, MEDIA_USB, b);
}

const struct kiln_target target_usb = {
	.name = "usb",
	.summary = "OUT/<deployment>-<host>.img per host: a UEFI installer to write to a USB stick",
	.package_host = usb_package_host,
	.readme = usb_readme,
};
