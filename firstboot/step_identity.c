/* Step "identity": hostname, /etc/hosts, root's SSH keys, systemd-networkd
 * files and the nftables ruleset, rendered from the seed's topology with
 * the same code as `kiln render`, then applied. On EC2 the ruleset also
 * gets the table that keeps non-root processes away from the instance
 * metadata service (firstboot/imds_lock.h). */
#include "firstboot/agent.h"
#include "firstboot/imds_lock.h"
#include "lib/log.h"
#include "profiles/render.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void lock_imds(struct rendered_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct rendered_file *rf = &f->v[i];
		if (strcmp(rf->path, "/etc/nftables.conf"))
			continue;
		struct buf b;
		buf_init(&b);
		buf_append(&b, rf->data, rf->len);
		imds_lock_rules(&b);
		free(rf->data);
		rf->len = b.len;
		rf->data = buf_steal(&b);
	}
}

int step_identity(struct agent *a)
{
	const char *step = "identity";
	struct rendered_files f = { 0 };
	agent_phase(a, "files");
	int r = render_host(a->model, a->host, &f);
	if (r < 0)
		return agent_step_end(a, step, r, "rendering this host's files failed");
	if (a->platform == PLATFORM_EC2)
		lock_imds(&f);
	r = rendered_files_write(&f, a->root);
	rendered_files_free(&f);
	if (r < 0)
		return agent_step_end(a, step, r, "writing network/firewall/identity files: %s", strerror(-r));

	char why[300] = "";
	const char *hostname = a->host->hostname ? a->host->hostname : a->host->name;
	if (!a->no_services && sethostname(hostname, strlen(hostname)) < 0)
		log_warn_errno(errno, "sethostname %s", hostname);
	/* The firewall goes live now; networkd picks its files up at start, or
	 * on reload when it is already running (EC2: the seed came over DHCP). */
	const char *nft[] = { "nft", "-f", "/etc/nftables.conf", NULL };
	agent_phase(a, "firewall");
	r = agent_exec(a, nft, NULL, 0, why, sizeof why);
	if (r < 0)
		return agent_step_end(a, step, r, "loading the firewall: %s", why);
	agent_phase(a, "network-reload");
	const char *reload[] = { "networkctl", "reload", NULL };
	if (agent_exec(a, reload, NULL, 0, why, sizeof why) < 0)
		log_debug("networkctl reload: %s (networkd not running yet is fine)", why);
	char what[80] = "";
	for (int k = 0; k < OVR__COUNT; k++)
		if (a->overrides.value[k])
			snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s", *what ? ", " : " (OVF overrides: ",
				 override_name(k));
	if (*what)
		strncat(what, ")", sizeof what - strlen(what) - 1);
	return agent_step_end(a, step, 0, "%s%s", a->host->hostname ? a->host->hostname : a->host->name, what);
}
