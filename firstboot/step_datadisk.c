/* Step "datadisk": find the role's data disk (firstboot/datadisk.h rules:
 * ours -> keep, blank -> format, anything else -> untouched), mount it at the
 * role's data path and make the mount permanent in /etc/fstab by label. */
#include "firstboot/agent.h"
#include "firstboot/datadisk.h"
#include "firstboot/unit_wait.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/data_disk.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

static bool is_mounted(const char *path)
{
	char *text;
	if (read_input("/proc/self/mountinfo", 0, 4u << 20, &text, NULL) < 0)
		return false;
	bool found = false;
	for (char *line = text, *next; !found && *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		char mp[1024];
		/* fields: id parent major:minor root mountpoint ... */
		if (sscanf(line, "%*s %*s %*s %*s %1023s", mp) == 1 && !strcmp(mp, path))
			found = true;
	}
	free(text);
	return found;
}

static int fstab_add(const struct agent *a, const char *mnt, char *why, size_t why_len)
{
	char *p = agent_path(a, "/etc/fstab");
	char *old = NULL;
	size_t len = 0;
	int r = read_input(p, 0, 1u << 20, &old, &len);
	if (r < 0 && r != -ENOENT) {
		snprintf(why, why_len, "/etc/fstab %s", input_strerror(r));
		free(p);
		return r;
	}
	/* nofail: a missing disk does not stop the boot (SSH stays reachable);
	 * the role's server never starts without it (service_needs_mount). The
	 * wait is long: under load (seven VMs on two cores, tests/e2e/scaled.sh)
	 * the disk showed up after systemd's 30 s had run out. */
	char *entry = xasprintf("LABEL=%s %s ext4 defaults,nofail,x-systemd.device-timeout=%us 0 2\n",
				KILN_DATA_LABEL, mnt, DATADISK_DEVICE_TIMEOUT_S);
	if (!old || !strstr(old, entry)) {
		struct buf b;
		buf_init(&b);
		if (old) {
			buf_append(&b, old, len);
			if (len && old[len - 1] != '\n')
				buf_putc(&b, '\n');
		}
		buf_puts(&b, entry);
		r = write_file_atomic(p, b.data, b.len, 0644);
		if (r < 0)
			snprintf(why, why_len, "writing /etc/fstab: %s", strerror(-r));
		buf_free(&b);
	} else
		r = 0;
	free(entry);
	free(old);
	free(p);
	return r;
}

/* The drop-in that ties the role's server to its data disk's mount
 * (profiles/data_disk.h). The role's image carries it, so systemd loaded
 * the server's unit with it; written again only if it is not there as it
 * should be (an image without it, or changed), and then the role step
 * reloads before it starts the server (agent_reload_if_needed). */
static int service_needs_mount(const struct agent *a, const char *svc, const char *mnt, char *why, size_t why_len)
{
	_cleanup_free_ char *conf = data_disk_dropin_path(svc), *rel = data_disk_dropin_dir(svc);
	_cleanup_free_ char *dir = agent_path(a, rel);
	struct buf b;
	buf_init(&b);
	data_disk_dropin(mnt, &b);
	int r = mkdir_p(dir, 0755);
	if (r >= 0)
		r = agent_write_if_changed(a, conf, b.data, b.len, 0644);
	buf_free(&b);
	if (r < 0)
		snprintf(why, why_len, "writing %s: %s", conf, strerror(-r));
	return r < 0 ? r : 0;
}

int step_datadisk(struct agent *a)
{
	const char *step = "datadisk";
	const char *mnt = data_disk_path(a->host->role);
	if (!mnt) {
		status_set(&a->status, step, STEP_SKIPPED, "the %s role keeps no data", role_name(a->host->role));
		return agent_save(a);
	}
	if (!a->no_services && is_mounted(mnt))
		return agent_step_end(a, step, 0, "%s already mounted", mnt);

	struct datadisk_choice c;
	const char *sysroot = strcmp(a->root, "/") ? a->root : "";
	int r = datadisk_choose(sysroot, &a->host->install.data_disk, &c);
	if (r < 0)
		return agent_step_end(a, step, r, "listing disks: %s", strerror(-r));
	if (!c.dev) {
		if (a->host->install.data_disk.set)
			r = agent_step_end(a, step, -ENODEV, "no data disk for %s by install.data_disk (%s)", mnt,
					   c.report[0] ? c.report : "no disks");
		else
			r = agent_step_end(a, step, -ENODEV, "no blank disk and none labelled %s for %s (%s)",
					   KILN_DATA_LABEL, mnt, c.report[0] ? c.report : "no disks");
		datadisk_choice_free(&c);
		return r;
	}
	bool formatted = c.needs_format;
	agent_phase(a, "format");
	if (c.needs_format && (r = datadisk_format(c.dev)) < 0) {
		r = agent_step_end(a, step, r, "formatting %s failed", c.dev);
		datadisk_choice_free(&c);
		return r;
	}
	char why_fstab[200];
	agent_phase(a, "mount");
	r = fstab_add(a, mnt, why_fstab, sizeof why_fstab);
	if (r < 0) {
		datadisk_choice_free(&c);
		return agent_step_end(a, step, r, "%s", why_fstab);
	}
	/* On EC2 this step runs late, when the role's service may already have
	 * started on the image's own (empty) datadir: stop it before its
	 * directory is covered by the data disk; the role step starts it again. */
	const char *svc = data_disk_server_unit(a->model, a->host->role);
	if ((r = service_needs_mount(a, svc, mnt, why_fstab, sizeof why_fstab)) < 0) {
		datadisk_choice_free(&c);
		return agent_step_end(a, step, r, "%s", why_fstab);
	}
	/* Not while it starts: MariaDB stopped while still starting can
	 * deadlock, and its unit never sends SIGKILL (unit_wait_settled). With
	 * no_services the question is recorded instead. */
	agent_phase(a, "settle");
	char why_stop[200];
	const struct unit_want want = { svc, false };
	const char *show[] = { "systemctl", "show", "-p", "ActiveState", "-p", "SubState", svc, NULL };
	const struct unit_wait_ops ops = unit_wait_systemd(a->root);
	r = a->no_services ? agent_exec(a, show, NULL, 0, why_stop, sizeof why_stop)
			   : unit_wait_settled(&ops, DATADISK_SETTLE_TIMEOUT_MS, 1000, &want, why_stop, sizeof why_stop);
	if (r < 0) {
		datadisk_choice_free(&c);
		return agent_step_end(a, step, r, "%s not stopped, so %s not mounted: %s", svc, mnt, why_stop);
	}
	agent_phase(a, "stop");
	const char *stop[] = { "systemctl", "stop", svc, NULL };
	if (agent_exec(a, stop, NULL, 0, why_stop, sizeof why_stop) < 0)
		log_debug("stopping %s: %s", svc, why_stop);
	char *target = agent_path(a, mnt);
	mkdir_p(target, 0755);
	if (a->no_services) {
		const char *argv[] = { "mount", c.dev, mnt, NULL };
		char why[64];
		agent_exec(a, argv, NULL, 0, why, sizeof why);
	} else if (mount(c.dev, target, "ext4", 0, NULL) < 0) {
		r = -errno;
		free(target);
		r = agent_step_end(a, step, r, "mounting %s at %s: %s", c.dev, mnt, strerror(-r));
		datadisk_choice_free(&c);
		return r;
	}
	free(target);
	r = agent_step_end(a, step, 0, "%s %s at %s", c.dev, formatted ? "formatted and mounted" : "kept and mounted", mnt);
	datadisk_choice_free(&c);
	return r;
}
