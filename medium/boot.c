/* PID 1 chores of kiln-installer (boot.h). */
#include "medium/boot.h"
#include "lib/fileio.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/cdrom.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void media_boot_setup(void)
{
	static const struct { const char *src, *dir, *type; } m[] = {
		{ "proc", "/proc", "proc" },
		{ "sysfs", "/sys", "sysfs" },
		{ "securityfs", "/sys/kernel/security", "securityfs" },   /* the lockdown mode */
		{ "devtmpfs", "/dev", "devtmpfs" },
		{ "tmpfs", "/run", "tmpfs" },
	};
	for (size_t i = 0; i < sizeof m / sizeof *m; i++) {
		mkdir(m[i].dir, 0755);
		mount(m[i].src, m[i].dir, m[i].type, MS_NOSUID | MS_NOEXEC, NULL);
	}
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
}

int media_load_modules(const char *list, FILE *out)
{
	char *text;
	size_t len;
	if (read_file(list, 1u << 20, &text, &len) < 0) {
		fprintf(out, "kiln installer: no module list %s: using the drivers built into the kernel\n", list);
		return 0;
	}
	int loaded = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *path = line[0] == '/' ? strdup(line) : NULL;
		if (!path && asprintf(&path, "/%s", line) < 0)
			abort();
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fprintf(out, "kiln installer: module %s: %s\n", path, strerror(errno));
		else if (syscall(SYS_finit_module, fd, "", 0) == 0)
			loaded++;
		else if (errno != EEXIST && errno != ENODEV && errno != ENOENT)
			fprintf(out, "kiln installer: module %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(path);
	}
	free(text);
	return loaded;
}

int media_mount_efivars(void)
{
	if (access(EFIVARS_DIR "/..", F_OK) < 0)
		return -ENOENT;   /* not booted with UEFI */
	if (mount("efivarfs", EFIVARS_DIR, "efivarfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) < 0 && errno != EBUSY)
		return -errno;
	return 0;
}

void media_eject(int fd)
{
	ioctl(fd, CDROM_LOCKDOOR, 0);
	ioctl(fd, CDROMEJECT, 0);
}

void media_reboot(FILE *out)
{
	sync();
	if (getpid() != 1) {
		fprintf(out, "kiln installer: not the first process: not rebooting\n");
		return;
	}
	reboot(RB_AUTOBOOT);
	fprintf(out, "kiln installer: reboot failed: %s\n", strerror(errno));
}

void media_wait_forever(FILE *out)
{
	fflush(out);
	sync();
	if (getpid() != 1)
		exit(1);
	for (;;)
		pause();
}
