#include "firstboot/datasource.h"
#include "firstboot/imds.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include <blkid.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEED_MAX (1u << 20)

static int fetch_ec2(const struct ds_opts *o, struct ds_result *r)
{
	struct imds_opts io = {
		.base_url = o->imds_url,
		.deadline_ms = o->deadline_ms,
	};
	struct imds *m;
	int e = imds_open(&m, &io);
	if (e < 0)
		return e;
	e = imds_get(m, "user-data", &r->seed);
	imds_close(m);
	if (e == -ENOENT)
		return log_error_errno(ENOENT, "EC2 instance has no user data: launch it with the host's seed "
					       "(kiln seed PROFILE --host NAME) as user data");
	if (e < 0)
		return e;
	r->source = xstrdup("ec2-imdsv2");
	return 0;
}

static int ovf_take(struct ds_result *r, const char *xml, size_t len, const char *source)
{
	int e = ovfenv_parse(xml, len, &r->ovf);
	if (e < 0)
		return log_error_errno(e, "%s: not a valid OVF environment document", source);
	const char *seed = ovfenv_get(&r->ovf, OVF_SEED_PROPERTY);
	if (!seed || !*seed)
		return log_error_errno(ENOENT, "%s: OVF property %s is empty: paste the host's seed into it "
					       "when deploying the OVA", source, OVF_SEED_PROPERTY);
	buf_puts(&r->seed, seed);
	r->source = xstrdup(source);
	return 0;
}

static int fetch_vmware(const struct ds_opts *o, struct ds_result *r)
{
	static const char *const devs[] = { "/dev/sr0", "/dev/sr1", "/dev/cdrom", NULL };
	const char *only[] = { o->ovf_iso, NULL };
	const char *const *list = o->ovf_iso ? only : devs;
	for (size_t i = 0; list[i]; i++) {
		char *path = xasprintf("%s%s", o->sysroot, list[i]);
		char *xml;
		size_t len;
		int e = ovfenv_read_iso(path, &xml, &len);
		if (e == 0) {
			char *src = xasprintf("ovf-iso:%s", list[i]);
			e = ovf_take(r, xml, len, src);
			free(src);
			free(xml);
			if (e == 0) {
				r->medium = path;
				r->medium_is_media = true;
			} else
				free(path);
			return e;
		}
		free(path);
	}
	/* guestinfo transport: vmtoolsd answers from the VM's configuration. */
	const char *argv[] = { o->vmtoolsd ? o->vmtoolsd : "vmtoolsd", "--cmd", "info-get guestinfo.ovfEnv", NULL };
	struct buf out, err;
	buf_init(&out);
	buf_init(&err);
	int st = spawn_capture(argv, &out, &err, SEED_MAX);
	int e;
	if (st == 0 && out.len)
		e = ovf_take(r, out.data, out.len, "ovf-guestinfo");
	else
		e = log_error_errno(ENOENT, "VMware: no OVF environment on a CD-ROM (ISO transport) and "
					    "guestinfo.ovfEnv is %s: enable the vApp options' OVF environment transport",
				    st == 1 ? "unset" : st < 0 || st == 127 ? "unreadable (no vmtoolsd)" : "unreadable");
	buf_free(&out);
	buf_free(&err);
	return e;
}

static int fetch_medium(const struct ds_opts *o, struct ds_result *r, const char *file)
{
	char *dev = o->seed_iso ? xstrdup(o->seed_iso) : blkid_evaluate_tag("LABEL", KILN_SEED_LABEL, NULL);
	if (!dev)
		return log_error_errno(ENOENT, "no seed: no %s and no medium labelled %s (kiln seed --iso)", file,
				       KILN_SEED_LABEL);
	char *data;
	size_t len;
	int e = iso_read_file(dev, "seed", SEED_MAX, &data, &len);
	if (e < 0) {
		if (e == -EIO || e == -ENOMEDIUM || e == -EFBIG)
			log_error_errno(e, "no seed: reading file 'seed' from %s", dev);
		else if (e == -ENOENT && access(dev, F_OK) == 0)
			log_error("no seed: %s has no file 'seed'", dev);
		else
			log_error("no seed: the seed medium %s %s", dev, input_strerror(e));
		free(dev);
		return e;
	}
	buf_append(&r->seed, data, len);
	free(data);
	r->source = xasprintf("medium:%s", dev);
	r->medium = dev;
	r->medium_is_media = true;
	return 0;
}

static int fetch_file(const struct ds_opts *o, struct ds_result *r)
{
	const char *file = o->seed_file ? o->seed_file : KILN_SEED_FILE;
	char *path = xasprintf("%s%s", o->sysroot, file);
	char *data;
	size_t len;
	/* The image's own seed file is never a symlink; one named on the command line may be. */
	int e = read_input(path, o->seed_file ? 0 : INPUT_NOFOLLOW, SEED_MAX, &data, &len);
	if (e == -ENOENT && !o->seed_file) {
		free(path);
		return fetch_medium(o, r, file);
	}
	if (e < 0) {
		free(path);
		log_error("no seed: %s %s", file, input_strerror(e));
		return e;
	}
	buf_append(&r->seed, data, len);
	free(data);
	r->source = xasprintf("file:%s", file);
	r->medium = path;
	return 0;
}

int datasource_fetch(const struct ds_opts *in, struct ds_result *r)
{
	struct ds_opts o = *in;
	if (!o.sysroot)
		o.sysroot = "";
	memset(r, 0, sizeof *r);
	buf_init(&r->seed);
	if (o.force) {
		if (!strcmp(o.force, "ec2"))
			r->platform = PLATFORM_EC2;
		else if (!strcmp(o.force, "vmware"))
			r->platform = PLATFORM_VMWARE;
		else if (!strcmp(o.force, "other"))
			r->platform = PLATFORM_OTHER;
		else
			return log_error_errno(EINVAL, "unknown datasource '%s' (expected ec2, vmware or other)", o.force);
		snprintf(r->platform_why, sizeof r->platform_why, "forced");
	} else
		r->platform = platform_detect(o.sysroot, r->platform_why, sizeof r->platform_why);

	switch (r->platform) {
	case PLATFORM_EC2: return fetch_ec2(&o, r);
	case PLATFORM_VMWARE: return fetch_vmware(&o, r);
	default: return fetch_file(&o, r);
	}
}

void ds_result_free(struct ds_result *r)
{
	free(r->source);
	free(r->medium);
	buf_free(&r->seed);
	ovfenv_free(&r->ovf);
	memset(r, 0, sizeof *r);
}
