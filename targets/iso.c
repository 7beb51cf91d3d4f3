/* Target "iso": per host a hybrid ISO installer (targets/media.h): boots
 * as a CD-ROM (El Torito EFI) and when written to a USB stick (GPT with
 * the ESP and the payload as partitions). */
#include "targets/media.h"

static int iso_package_host(const struct target_ctx *c, const struct host *h, const struct role_images *img,
			    const struct buf *seed, char **out)
{
	return media_build(c, h, img, seed, MEDIA_ISO, out);
}

static void iso_readme(const struct target_ctx *c, struct buf *b)
{
	media_readme(c, MEDIA_ISO, b);
}

const struct kiln_target target_iso = {
	.name = "iso",
	.summary = "OUT/<deployment>-<host>.iso per host: a UEFI installer (CD-ROM or USB stick)",
	.package_host = iso_package_host,
	.readme = iso_readme,
};
