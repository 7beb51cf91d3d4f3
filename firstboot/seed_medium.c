#include "firstboot/seed_medium.h"
#include "firstboot/agent.h"
#include "lib/input.h"
#include "lib/log.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Numbered after 70-uaccess.rules (which tags CD-ROMs for the seat user) and
 * before 73-seat-late.rules (which applies that tag); ":=" so no later rule
 * loosens the node again. */
static const char rule[] =
	"# Written by kiln-firstboot: the media a seed arrives on (the OVF environment\n"
	"# CD-ROM, a KILN_SEED volume) are root's alone (docs/firstboot.md).\n"
	"SUBSYSTEM==\"block\", KERNEL==\"sr[0-9]*\", OWNER:=\"root\", GROUP:=\"root\", MODE:=\"0600\", TAG-=\"uaccess\"\n"
	"SUBSYSTEM==\"block\", ENV{ID_FS_LABEL}==\"KILN_SEED\", OWNER:=\"root\", GROUP:=\"root\", MODE:=\"0600\", "
	"TAG-=\"uaccess\"\n";

static void make_root_only(const char *path)
{
	int fd = open_input(path, INPUT_BLOCKDEV, SIZE_MAX);
	if (fd < 0) {
		log_warn("%s, which carried the seed, %s: not made root-only", path, input_strerror(fd));
		return;
	}
	if ((geteuid() == 0 && fchown(fd, 0, 0) < 0) || fchmod(fd, 0600) < 0)
		log_warn_errno(errno, "%s, which carried the seed, could not be made root-only", path);
	close(fd);
}

static void keep_media_private(const struct agent *a)
{
	char *p = agent_path(a, SEED_MEDIA_UDEV_RULE), *old = NULL;
	size_t len = 0;
	bool same = read_input(p, INPUT_NOFOLLOW, sizeof rule, &old, &len) == 0 && len == sizeof rule - 1 &&
		    !memcmp(old, rule, len);
	free(old);
	free(p);
	if (same)
		return;
	int r = agent_write(a, SEED_MEDIA_UDEV_RULE, rule, sizeof rule - 1, 0644);
	if (r < 0) {
		log_warn_errno(r, "writing %s", SEED_MEDIA_UDEV_RULE);
		return;
	}
	/* udevd would notice the new file by itself within seconds; no need to wait. */
	const char *reload[] = { "udevadm", "control", "--reload", NULL };
	char why[200];
	if (agent_exec(a, reload, NULL, 0, why, sizeof why) < 0)
		log_debug("%s", why);
}

void seed_medium_conceal(const struct agent *a, const char *path, bool is_media)
{
	make_root_only(path);
	if (is_media)
		keep_media_private(a);
}
