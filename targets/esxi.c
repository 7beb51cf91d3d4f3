/* Target "esxi": per role an OVA (OVF descriptor + manifest [+ .cert] + the
 * OS and data disks as streamOptimized VMDKs, esxi/), a seed per host for
 * the kiln.seed OVF property, and a README saying which OVA and seed each
 * host takes. Hardware (vCPUs, memory, disk sizes, NIC count) is the
 * largest any host of the role asks for (role_sizing). */
#include "esxi/ovf.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "targets/pack.h"
#include "targets/target.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *vmdk_adapter(const char *controller)
{
	return !strcmp(controller, "lsilogic") ? "lsilogic" : !strcmp(controller, "lsilogicsas") ? "lsilogicsas"
												   : "pvscsi";
}

/* The port group of each NIC: the profile's network, then "<network> 2", ... */
static void nic_networks(const char *network, unsigned n, char **names)
{
	for (unsigned i = 0; i < n; i++)
		names[i] = i ? xasprintf("%s %u", network, i + 1) : xstrdup(network);
}

static int write_ova(const struct model *m, enum role r, const struct role_sizing *sz, const struct ovf_disk *disks,
		     const struct ova_file *files, size_t n_disks, const char *ova, const struct package_opts *o)
{
	const char *rn = role_name(r);
	_cleanup_free_ char *ovf_name = xasprintf("%s-%s.ovf", m->name, rn), *vs_name = xasprintf("%s-%s", m->name, rn);
	_cleanup_free_ char *product = xasprintf("kiln %s %s appliance", m->name, rn);
	_cleanup_free_ char *annotation = xasprintf("kiln %s appliance of deployment %s. Paste the host's seed "
						    "(<host>.seed from 'kiln build') into the kiln.seed property.", rn,
						    m->name);
	_cleanup_free_ char **net_names = xcalloc(sz->nics, sizeof *net_names);
	nic_networks(m->esxi.network, sz->nics, net_names);
	struct ovf_params op = {
		.name = vs_name, .product = product, .version = o->version, .annotation = annotation,
		.hardware_version = m->esxi.hw_version, .disk_controller = m->esxi.disk_controller,
		.firmware = m->esxi.firmware, .secure_boot = m->esxi.secure_boot,
		.vcpus = sz->vcpus, .memory_mib = sz->memory_mib, .networks = (const char *const *)net_names,
		.n_networks = sz->nics, .disks = disks, .n_disks = n_disks,
		.overridable = (const char *const *)m->esxi.overridable, .n_overridable = m->esxi.n_overridable,
	};
	struct buf ovf;
	buf_init(&ovf);
	int e = ovf_build(&op, &ovf);
	if (e < 0)
		log_error_errno(e, "cannot describe %s (names must be printable ASCII)", vs_name);
	else {
		struct ova_params pp = {
			.ovf_name = ovf_name, .ovf_text = ovf.data, .ovf_len = ovf.len, .files = files,
			.n_files = n_disks, .digest = o->digest, .sign_key = o->sign_key, .sign_cert = o->sign_cert,
			.mtime = o->mtime, .progress = o->progress,
		};
		e = ova_write(ova, &pp);
	}
	buf_free(&ovf);
	for (unsigned i = 0; i < sz->nics; i++)
		free(net_names[i]);
	return e;
}

static int esxi_package_role(const struct target_ctx *c, enum role r, const struct role_images *img, char **out)
{
	const struct model *m = c->m;
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
	if ((e = pack_check_image(img->os_raw)) < 0 || (img->data_raw && (e = pack_check_image(img->data_raw)) < 0))
		return e;

	struct pack_scratch s;
	if ((e = pack_scratch_open(&s, c->out_dir)) < 0)
		return e;
	const char *rn = role_name(r);
	_cleanup_free_ char *disk1 = xasprintf("%s-%s-disk1.vmdk", m->name, rn);
	_cleanup_free_ char *disk2 = xasprintf("%s-%s-disk2.vmdk", m->name, rn);
	_cleanup_free_ char *ova = target_output_path(c->out_dir, m, r, ".ova");
	const char *names[2] = { disk1, disk2 };
	const char *raws[2] = { img->os_raw, img->data_raw };
	struct ovf_disk disks[2];
	struct ova_file files[2];
	size_t n_disks = 0;
	if (!raws[1] && sz.data_disk_gib) {
		raws[1] = pack_scratch_file(&s, "data.raw");
		e = pack_blank_disk(raws[1], sz.data_disk_gib);
	}
	for (size_t i = 0; e == 0 && i < 2; i++) {
		if (!raws[i])
			continue;
		const char *vmdk = pack_scratch_file(&s, names[i]);
		struct vmdk_stream_stats st;
		if ((e = pack_to_vmdk(raws[i], vmdk, vmdk_adapter(m->esxi.disk_controller), c->po, &st)) < 0)
			break;
		disks[n_disks] = (struct ovf_disk){ names[i], st.file_bytes, st.capacity_bytes, st.populated_bytes };
		files[n_disks] = (struct ova_file){ names[i], vmdk };
		n_disks++;
	}
	if (e == 0)
		e = write_ova(m, r, &sz, disks, files, n_disks, ova, c->po);
	pack_scratch_close(&s);
	if (e == 0)
		*out = TAKE_PTR(ova);
	return e;
}

/* Which OVA and seed each host takes, the overridable properties, ovftool. */
static void esxi_readme(const struct target_ctx *c, struct buf *b)
{
	const struct model *m = c->m;
	buf_printf(b, "# ESXi deployment %s\n\n"
		      "Made by kiln. Deploy one VM per host from its role's OVA (vSphere Client: Deploy OVF\n"
		      "Template, or `ovftool`), then paste the whole content of the host's seed file into the\n"
		      "property `kiln.seed` (\"Host seed\", masked in the wizard). The seed is signed and its\n"
		      "secrets are sealed to the role key inside the image, so it is safe to share; the OVA is\n"
		      "not (it holds the role's private key): keep it in a restricted datastore or library.\n\n"
		      "| host | OVA | seed |\n|------|-----|------|\n", m->name);
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (c->want[h->role])
			buf_printf(b, "| %s | %s-%s.ova | %s.seed |\n", h->name, m->name, role_name(h->role), h->name);
	}
	if (m->esxi.n_overridable) {
		buf_puts(b, "\nOptional properties the operator may set at deploy time (empty = the seed's value):");
		for (size_t i = 0; i < m->esxi.n_overridable; i++)
			buf_printf(b, "%s kiln.%s", i ? "," : "", m->esxi.overridable[i]);
		buf_puts(b, ".\n");
	}
	buf_printf(b, "\nWith ovftool:\n\n```sh\novftool --acceptAllEulas --name=HOST --net:\"%s=PORTGROUP\" \\\n"
		      "    --prop:kiln.seed=\"$(cat HOST.seed)\" %s-ROLE.ova vi://USER@VCENTER/DC/host/CLUSTER\n```\n",
		   m->esxi.network, m->name);
}

const struct kiln_target target_esxi = {
	.name = "esxi",
	.summary = "OUT/<deployment>-<role>.ova and OUT/<host>.seed per host",
	.host_seeds = true,
	.signs = "an OVA",
	.package_role = esxi_package_role,
	.readme = esxi_readme,
};
