/* Role images -> OVA / EC2 kit; see package.h. */
#include "esxi/package.h"
#include "ec2/ec2_kit.h"
#include "esxi/ovf.h"
#include "esxi/vmdk_stream.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GIB (UINT64_C(1) << 30)

void role_sizing(const struct model *m, enum role r, struct role_sizing *s)
{
	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (h->role != r)
			continue;
		s->n_hosts++;
		if (h->size.vcpus > s->vcpus)
			s->vcpus = h->size.vcpus;
		if (h->size.memory_mib > s->memory_mib)
			s->memory_mib = h->size.memory_mib;
		if (h->size.os_disk_gib > s->os_disk_gib)
			s->os_disk_gib = h->size.os_disk_gib;
		/* Only mysql and minio keep data on a disk of their own (as kiln build makes it). */
		if (r != ROLE_APP && h->size.data_disk_gib > s->data_disk_gib)
			s->data_disk_gib = h->size.data_disk_gib;
		unsigned nics = h->n_ethernets ? (unsigned)h->n_ethernets : 1;
		if (nics > s->nics)
			s->nics = nics;
	}
	if (!s->nics)
		s->nics = 1;
}

char *package_path(const char *dir, const struct model *m, enum role r, const char *suffix)
{
	char *name = xasprintf("%s-%s%s", m->name, role_name(r), suffix);
	char *p = path_join(dir, name);
	free(name);
	return p;
}

static const char *vmdk_adapter(const char *controller)
{
	return !strcmp(controller, "lsilogic") ? "lsilogic" : !strcmp(controller, "lsilogicsas") ? "lsilogicsas"
												   : "pvscsi";
}

static int check_image(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return log_error_errno(errno, "image %s", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return log_error_errno(EINVAL, "image %s is not a regular file or block device", path);
	if (S_ISREG(st.st_mode) && st.st_size == 0)
		return log_error_errno(EINVAL, "image %s is empty", path);
	return 0;
}

/* A scratch directory next to the outputs, so renames stay on one filesystem. */
struct scratch {
	char *dir;
	char *files[4];
	size_t n;
};

static int scratch_open(struct scratch *s, const char *out_dir)
{
	memset(s, 0, sizeof *s);
	s->dir = path_join(out_dir, ".kiln-pack-XXXXXX");
	if (!mkdtemp(s->dir)) {
		int e = log_error_errno(errno, "cannot create a scratch directory in %s", out_dir);
		free(s->dir);
		s->dir = NULL;
		return e;
	}
	return 0;
}

static const char *scratch_file(struct scratch *s, const char *name)
{
	s->files[s->n] = path_join(s->dir, name);
	return s->files[s->n++];
}

static void scratch_close(struct scratch *s)
{
	for (size_t i = 0; i < s->n; i++) {
		unlink(s->files[i]);
		free(s->files[i]);
	}
	if (s->dir)
		rmdir(s->dir);
	free(s->dir);
}

static int blank_disk(const char *path, unsigned gib)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return log_error_errno(errno, "cannot create %s", path);
	int r = ftruncate(fd, (off_t)((uint64_t)gib * GIB)) < 0 ? log_error_errno(errno, "cannot size %s", path) : 0;
	close(fd);
	return r;
}

static int to_vmdk(const char *raw, const char *vmdk, const char *adapter, const struct package_opts *o,
		   struct vmdk_stream_stats *st)
{
	struct vmdk_stream_opts vo;
	vmdk_stream_opts_init(&vo);
	vo.adapter = adapter;
	vo.threads = o->threads;
	vo.progress = o->progress;
	if (o->progress)
		fprintf(stderr, "kiln: converting %s to a streamOptimized VMDK\n", raw);
	return vmdk_stream_convert(raw, vmdk, &vo, st);
}

int package_esxi_role(const struct model *m, enum role r, const struct role_images *img, const char *out_dir,
		      const struct package_opts *o)
{
	struct role_sizing sz;
	role_sizing(m, r, &sz);
	int e;
	if (!esxi_hardware_version_ok(m->esxi.hw_version))
		return log_error_errno(EINVAL, "hardware version '%s' is not supported (expected " ESXI_HARDWARE_VERSIONS
				       ")", m->esxi.hardware_version);
	if (ovf_controller_check(m->esxi.disk_controller) < 0)
		return log_error_errno(EINVAL, "unknown disk controller '%s' (expected pvscsi, lsilogic or lsilogicsas)",
				       m->esxi.disk_controller);
	if (!sz.n_hosts)
		return log_error_errno(EINVAL, "the profile has no %s host", role_name(r));
	if ((e = check_image(img->os_raw)) < 0 || (img->data_raw && (e = check_image(img->data_raw)) < 0))
		return e;

	struct scratch s;
	if ((e = scratch_open(&s, out_dir)) < 0)
		return e;
	const char *rn = role_name(r);
	char *names[2] = { xasprintf("%s-%s-disk1.vmdk", m->name, rn), xasprintf("%s-%s-disk2.vmdk", m->name, rn) };
	char *ovf_name = xasprintf("%s-%s.ovf", m->name, rn), *vs_name = xasprintf("%s-%s", m->name, rn);
	char *product = xasprintf("kiln %s %s appliance", m->name, rn), *ova = package_path(out_dir, m, r, ".ova");
	char *annotation = xasprintf("kiln %s appliance of deployment %s. Paste the host's seed (<host>.seed from "
				     "'kiln build') into the kiln.seed property.", rn, m->name);
	const char *adapter = vmdk_adapter(m->esxi.disk_controller);
	struct ovf_disk disks[2];
	struct ova_file files[2];
	size_t n_disks = 0;
	struct buf ovf;
	buf_init(&ovf);
	const char **nets = xcalloc(sz.nics, sizeof *nets);
	char **net_names = xcalloc(sz.nics, sizeof *net_names);

	const char *raws[2] = { img->os_raw, img->data_raw };
	if (!raws[1] && sz.data_disk_gib) {
		raws[1] = scratch_file(&s, "data.raw");
		if ((e = blank_disk(raws[1], sz.data_disk_gib)) < 0)
			goto out;
	}
	for (size_t i = 0; i < 2; i++) {
		if (!raws[i])
			continue;
		const char *vmdk = scratch_file(&s, names[i]);
		struct vmdk_stream_stats st;
		if ((e = to_vmdk(raws[i], vmdk, adapter, o, &st)) < 0)
			goto out;
		disks[n_disks] = (struct ovf_disk){ names[i], st.file_bytes, st.capacity_bytes, st.populated_bytes };
		files[n_disks] = (struct ova_file){ names[i], vmdk };
		n_disks++;
	}
	for (unsigned i = 0; i < sz.nics; i++) {
		net_names[i] = i ? xasprintf("%s %u", m->esxi.network, i + 1) : xstrdup(m->esxi.network);
		nets[i] = net_names[i];
	}
	struct ovf_params op = {
		.name = vs_name, .product = product, .version = o->version, .annotation = annotation,
		.hardware_version = m->esxi.hw_version, .disk_controller = m->esxi.disk_controller,
		.vcpus = sz.vcpus, .memory_mib = sz.memory_mib, .networks = nets, .n_networks = sz.nics,
		.disks = disks, .n_disks = n_disks,
		.overridable = (const char *const *)m->esxi.overridable, .n_overridable = m->esxi.n_overridable,
	};
	if ((e = ovf_build(&op, &ovf)) < 0) {
		log_error_errno(e, "cannot describe %s (names must be printable ASCII)", vs_name);
		goto out;
	}
	struct ova_params pp = {
		.ovf_name = ovf_name, .ovf_text = ovf.data, .ovf_len = ovf.len, .files = files, .n_files = n_disks,
		.digest = o->digest, .sign_key = o->sign_key, .sign_cert = o->sign_cert, .mtime = o->mtime,
		.progress = o->progress,
	};
	e = ova_write(ova, &pp);
out:
	scratch_close(&s);
	for (unsigned i = 0; i < sz.nics; i++)
		free(net_names[i]);
	free(net_names);
	free(nets);
	buf_free(&ovf);
	free(names[0]);
	free(names[1]);
	free(ovf_name);
	free(vs_name);
	free(product);
	free(annotation);
	free(ova);
	return e;
}

static void fill_kit(const struct model *m, enum role r, const char *vmdk_name, const struct package_opts *o,
		     uint64_t image_bytes, struct ec2_kit *k)
{
	struct role_sizing sz;
	role_sizing(m, r, &sz);
	unsigned img_gib = (unsigned)((image_bytes + GIB - 1) / GIB);
	*k = (struct ec2_kit){
		.deployment = m->name, .role = role_name(r), .version = o->version, .vmdk_name = vmdk_name,
		.root_gib = sz.os_disk_gib > img_gib ? sz.os_disk_gib : img_gib ? img_gib : 1,
		.data_gib = sz.data_disk_gib,
	};
}

static int write_buf(const char *path, const struct buf *b)
{
	int e = write_file_atomic(path, b->data, b->len, 0644);
	return e < 0 ? log_error_errno(e, "cannot write %s", path) : 0;
}

int package_ec2_role(const struct model *m, enum role r, const struct role_images *img, const char *out_dir,
		     const struct package_opts *o)
{
	int e;
	struct role_sizing sz;
	role_sizing(m, r, &sz);
	if (!sz.n_hosts)
		return log_error_errno(EINVAL, "the profile has no %s host", role_name(r));
	if ((e = check_image(img->os_raw)) < 0)
		return e;
	char *vmdk = package_path(out_dir, m, r, ".vmdk");
	char *imp = package_path(out_dir, m, r, ".import-snapshot.json");
	char *reg = package_path(out_dir, m, r, ".register-image.json");
	char *vmdk_name = xasprintf("%s-%s.vmdk", m->name, role_name(r));
	struct buf b;
	buf_init(&b);
	struct vmdk_stream_stats st;
	/* EC2 ignores the adapter type; lsilogic is what VMware's exports carry. */
	if ((e = to_vmdk(img->os_raw, vmdk, "lsilogic", o, &st)) < 0)
		goto out;
	struct ec2_kit k;
	fill_kit(m, r, vmdk_name, o, st.capacity_bytes, &k);
	if ((e = ec2_import_json(&k, &b)) < 0) {
		log_error_errno(e, "cannot describe the %s import", role_name(r));
		goto out;
	}
	if ((e = write_buf(imp, &b)) < 0)
		goto out;
	b.len = 0;
	if ((e = ec2_register_json(&k, &b)) < 0) {
		log_error_errno(e, "cannot describe the %s image", role_name(r));
		goto out;
	}
	e = write_buf(reg, &b);
out:
	buf_free(&b);
	free(vmdk);
	free(imp);
	free(reg);
	free(vmdk_name);
	return e;
}

int package_ec2_readme(const struct model *m, const bool want[ROLE__COUNT], const char *out_dir)
{
	struct ec2_kit kits[ROLE__COUNT];
	char *vmdk_names[ROLE__COUNT] = { 0 };
	size_t n_kits = 0;
	struct package_opts o = { .version = "" };
	for (int r = 0; r < ROLE__COUNT; r++) {
		if (!want[r])
			continue;
		vmdk_names[r] = xasprintf("%s-%s.vmdk", m->name, role_name((enum role)r));
		fill_kit(m, (enum role)r, vmdk_names[r], &o, 0, &kits[n_kits++]);
	}
	struct ec2_host *hosts = xcalloc(m->n_hosts + 1, sizeof *hosts);
	char (*ips)[16] = xcalloc(m->n_hosts + 1, sizeof *ips);
	size_t n = 0;
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (!want[h->role])
			continue;
		hosts[n] = (struct ec2_host){ h->name, role_name(h->role), h->dhcp ? NULL : ipv4_fmt(h->address, ips[n]),
					      h->size.vcpus, h->size.memory_mib };
		n++;
	}
	struct buf b;
	buf_init(&b);
	ec2_readme(m->name, kits, n_kits, hosts, n, &b);
	char *name = xasprintf("%s-ec2-README.md", m->name);
	char *path = path_join(out_dir, name);
	int e = write_buf(path, &b);
	free(name);
	free(path);
	buf_free(&b);
	free(hosts);
	free(ips);
	for (int r = 0; r < ROLE__COUNT; r++)
		free(vmdk_names[r]);
	return e;
}
