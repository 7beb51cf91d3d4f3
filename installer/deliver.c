/* Seeds, packages and README per target; see deliver.h. */
#include "installer/deliver.h"
#include "installer/host_seed.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int deliver_seeds(const struct deliver_ctx *c, enum deliver_target t)
{
	if (!c->seeds)
		return 0;
	for (size_t i = 0; i < c->m->n_hosts; i++) {
		const struct host *h = &c->m->hosts[i];
		if (!c->want[h->role])
			continue;
		struct buf b;
		buf_init(&b);
		int e = host_seed_build(c->profile, c->m, c->text, c->tlen, c->state, h->name, t == DELIVER_EC2, &b,
					NULL);
		if (e == 0) {
			char *name = xasprintf("%s.seed", h->name), *path = path_join(c->out_dir, name);
			e = write_file_atomic(path, b.data, b.len, 0644);
			if (e < 0)
				log_error_errno(e, "cannot write %s", path);
			else if (c->po.progress)
				fprintf(stderr, "kiln: seed for %s written to %s (%zu bytes)\n", h->name, path, b.len);
			free(name);
			free(path);
		}
		buf_free(&b);
		if (e < 0)
			return e;
	}
	return 0;
}

/* OUT/<deployment>-esxi-README.md: which OVA and seed each host takes. */
static int esxi_readme(const struct deliver_ctx *c)
{
	const struct model *m = c->m;
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "# ESXi deployment %s\n\n"
		       "Made by kiln. Deploy one VM per host from its role's OVA (vSphere Client: Deploy OVF\n"
		       "Template, or `ovftool`), then paste the whole content of the host's seed file into the\n"
		       "property `kiln.seed` (\"Host seed\", masked in the wizard). The seed is signed and its\n"
		       "secrets are sealed to the role key inside the image, so it is safe to share; the OVA is\n"
		       "not (it holds the role's private key): keep it in a restricted datastore or library.\n\n"
		       "| host | OVA | seed |\n|------|-----|------|\n", m->name);
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (c->want[h->role])
			buf_printf(&b, "| %s | %s-%s.ova | %s.seed |\n", h->name, m->name, role_name(h->role), h->name);
	}
	if (m->esxi.n_overridable) {
		buf_puts(&b, "\nOptional properties the operator may set at deploy time (empty = the seed's value):");
		for (size_t i = 0; i < m->esxi.n_overridable; i++)
			buf_printf(&b, "%s kiln.%s", i ? "," : "", m->esxi.overridable[i]);
		buf_puts(&b, ".\n");
	}
	buf_printf(&b, "\nWith ovftool:\n\n```sh\novftool --acceptAllEulas --name=HOST --net:\"%s=PORTGROUP\" \\\n"
		       "    --prop:kiln.seed=\"$(cat HOST.seed)\" %s-ROLE.ova vi://USER@VCENTER/DC/host/CLUSTER\n```\n",
		   m->esxi.network, m->name);
	char *name = xasprintf("%s-esxi-README.md", m->name), *path = path_join(c->out_dir, name);
	int e = write_file_atomic(path, b.data, b.len, 0644);
	if (e < 0)
		log_error_errno(e, "cannot write %s", path);
	free(name);
	free(path);
	buf_free(&b);
	return e;
}

int deliver_packages(const struct deliver_ctx *c, enum deliver_target t)
{
	int e;
	for (int r = 0; r < ROLE__COUNT; r++) {
		if (!c->want[r])
			continue;
		e = t == DELIVER_ESXI ? package_esxi_role(c->m, (enum role)r, &c->img[r], c->out_dir, &c->po)
				      : package_ec2_role(c->m, (enum role)r, &c->img[r], c->out_dir, &c->po);
		if (e < 0)
			return e;
		char *p = package_path(c->out_dir, c->m, (enum role)r, t == DELIVER_ESXI ? ".ova" : ".vmdk");
		printf("%s\n", p);
		free(p);
	}
	return t == DELIVER_ESXI ? esxi_readme(c) : package_ec2_readme(c->m, c->want, c->out_dir);
}

int deliver(const struct deliver_ctx *c, enum deliver_target t)
{
	int e = deliver_seeds(c, t);
	return e < 0 ? e : deliver_packages(c, t);
}
