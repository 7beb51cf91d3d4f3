/* Target "ec2": per role a streamOptimized VMDK with the import-snapshot and
 * register-image JSON (ec2/ec2_kit.h: UEFI, ENA, IMDSv2), a README with the
 * AWS CLI commands from upload to run-instances, and a seed per host as its
 * user data, which EC2 caps at 16 KB. */
#include "ec2/ec2_kit.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "targets/pack.h"
#include "targets/target.h"
#include <errno.h>
#include <stdlib.h>

#define GIB (UINT64_C(1) << 30)
#define EC2_USER_DATA_MAX 16384   /* bytes, before base64 */

/* The kit of role r: root volume the larger of the role's os_disk_gib and
 * the image, data volume the role's data_disk_gib. */
static void fill_kit(const struct model *m, enum role r, const char *vmdk_name, const char *version,
		     uint64_t image_bytes, struct ec2_kit *k)
{
	struct role_sizing sz;
	role_sizing(m, r, &sz);
	unsigned img_gib = (unsigned)((image_bytes + GIB - 1) / GIB);
	*k = (struct ec2_kit){
		.deployment = m->name, .role = role_name(r), .version = version, .vmdk_name = vmdk_name,
		.root_gib = sz.os_disk_gib > img_gib ? sz.os_disk_gib : img_gib ? img_gib : 1,
		.data_gib = sz.data_disk_gib,
	};
}

/* A kit's JSON (import-snapshot or register-image) into path. */
static int write_json(int (*describe)(const struct ec2_kit *, struct buf *), const struct ec2_kit *k,
		      const char *path, const char *what)
{
	struct buf b;
	buf_init(&b);
	int e = describe(k, &b);
	if (e < 0)
		log_error_errno(e, "cannot describe the %s %s", k->role, what);
	else
		e = pack_write_buf(path, &b);
	buf_free(&b);
	return e;
}

static int ec2_package_role(const struct target_ctx *c, enum role r, const struct role_images *img, char **out)
{
	const struct model *m = c->m;
	struct role_sizing sz;
	role_sizing(m, r, &sz);
	if (!sz.n_hosts)
		return log_error_errno(EINVAL, "the profile has no %s host", role_name(r));
	int e = pack_check_image(img->os_raw);
	if (e < 0)
		return e;
	_cleanup_free_ char *vmdk = target_output_path(c->out_dir, m, r, ".vmdk");
	_cleanup_free_ char *imp = target_output_path(c->out_dir, m, r, ".import-snapshot.json");
	_cleanup_free_ char *reg = target_output_path(c->out_dir, m, r, ".register-image.json");
	_cleanup_free_ char *vmdk_name = xasprintf("%s-%s.vmdk", m->name, role_name(r));
	struct vmdk_stream_stats st;
	/* EC2 ignores the adapter type; lsilogic is what VMware's exports carry. */
	if ((e = pack_to_vmdk(img->os_raw, vmdk, "lsilogic", c->po, &st)) < 0)
		return e;
	struct ec2_kit k;
	fill_kit(m, r, vmdk_name, c->po->version, st.capacity_bytes, &k);
	if ((e = write_json(ec2_import_json, &k, imp, "import")) < 0 ||
	    (e = write_json(ec2_register_json, &k, reg, "image")) < 0)
		return e;
	*out = TAKE_PTR(vmdk);
	return 0;
}

/* ec2_readme over the delivered roles and their hosts. */
static void ec2_target_readme(const struct target_ctx *c, struct buf *b)
{
	const struct model *m = c->m;
	struct ec2_kit kits[ROLE__COUNT];
	char *vmdk_names[ROLE__COUNT] = { 0 };
	size_t n_kits = 0;
	for (int r = 0; r < ROLE__COUNT; r++) {
		if (!c->want[r])
			continue;
		vmdk_names[r] = xasprintf("%s-%s.vmdk", m->name, role_name((enum role)r));
		fill_kit(m, (enum role)r, vmdk_names[r], "", 0, &kits[n_kits++]);
	}
	_cleanup_free_ struct ec2_host *hosts = xcalloc(m->n_hosts + 1, sizeof *hosts);
	_cleanup_free_ char(*ips)[16] = xcalloc(m->n_hosts + 1, sizeof *ips);
	size_t n = 0;
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (!c->want[h->role])
			continue;
		hosts[n] = (struct ec2_host){ h->name, role_name(h->role), h->dhcp ? NULL : ipv4_fmt(h->address, ips[n]),
					      h->size.vcpus, h->size.memory_mib };
		n++;
	}
	ec2_readme(m->name, kits, n_kits, hosts, n, b);
	for (int r = 0; r < ROLE__COUNT; r++)
		free(vmdk_names[r]);
}

const struct kiln_target target_ec2 = {
	.name = "ec2",
	.summary = "EC2 import kit (VMDK, JSON, README), OUT/<host>.seed per host",
	.seed_max = EC2_USER_DATA_MAX,
	.seed_carrier = "EC2 user data",
	.seed_owner = "EC2",
	.seed_field = "user-data",
	.host_seeds = true,
	.package_role = ec2_package_role,
	.readme = ec2_target_readme,
};
