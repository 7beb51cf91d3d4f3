/* Step "seed": fetch the seed from the datasource, verify and open it with
 * the operator's public key and this role's private key, refuse downgrades.
 * The raw (still sealed) seed is kept in /var/lib/kiln/seed so a reboot
 * needs no datasource; the secrets stay in memory. */
#include "firstboot/agent.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static int read_small(const struct agent *a, const char *abs, char **data, size_t *len)
{
	char *p = agent_path(a, abs);
	int r = read_file(p, 1u << 16, data, len);
	free(p);
	return r;
}

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

int step_seed(struct agent *a)
{
	const char *step = "seed";
	bool was_done = status_done(&a->status, step);
	status_set(&a->status, step, STEP_RUNNING, NULL);
	agent_save(a);

	char *text = NULL;
	size_t len;
	struct minisign_pub op;
	int r = read_small(a, KILN_ETC "/operator.pub", &text, &len);
	if (r < 0)
		return agent_step_end(a, step, r, "cannot read " KILN_ETC "/operator.pub: %s", strerror(-r));
	r = minisign_pub_parse(text, len, &op);
	free(text);
	if (r < 0)
		return agent_step_end(a, step, r, KILN_ETC "/operator.pub is not a minisign public key");

	char *keypath = agent_path(a, KILN_ETC "/role.key");
	r = check_private(keypath, 0);
	free(keypath);
	if (r < 0)
		return agent_step_end(a, step, r, KILN_ETC "/role.key must be a root-only (0600) file: %s", strerror(-r));
	struct role_keypair *rk = NULL;
	r = read_small(a, KILN_ETC "/role.key", &text, &len);
	if (r == 0) {
		r = role_key_parse(text, len, &rk);
		sodium_memzero(text, len);
		free(text);
	}
	if (r < 0)
		return agent_step_end(a, step, r, "cannot load " KILN_ETC "/role.key");

	char *deployment = NULL;
	if (read_small(a, KILN_ETC "/deployment", &deployment, &len) == 0)
		trim(deployment);

	/* A fresh seed from the datasource wins; the stored one covers reboots
	 * where the datasource is gone (ISO detached) or slow. */
	struct ds_result ds;
	char *stored = path_join(a->state_dir, "seed");
	char *stored_ovr = path_join(a->state_dir, "overrides");
	char *data = NULL;
	char why[300];
	const char *source;
	struct overrides last;
	if (overrides_load(stored_ovr, &last) < 0) {
		log_warn("%s is unreadable or corrupt; treating it as empty", stored_ovr);
		memset(&last, 0, sizeof last);
	}
	r = datasource_fetch(&a->ds, &ds);
	if (r == 0) {
		data = xstrndup(ds.seed.data ? ds.seed.data : "", ds.seed.len);
		len = ds.seed.len;
		free(a->status.datasource);
		a->status.datasource = xstrdup(ds.source);
		overrides_from_ovf(&ds.ovf, &a->overrides);
	} else if (read_file(stored, SEED_MAX_BYTES, &data, &len) == 0) {
		log_warn("datasource unavailable; using the seed stored at first boot");
		/* Same seed, same overrides: the host keeps its network. */
		for (int k = 0; k < OVR__COUNT; k++)
			a->overrides.value[k] = last.value[k] ? xstrdup(last.value[k]) : NULL;
	}
	ds_result_free(&ds);
	if (!data) {
		role_keypair_free(rk);
		snprintf(why, sizeof why, "no seed: the datasource gave none (see the journal for why)");
		goto out;
	}
	source = a->status.datasource ? a->status.datasource : "stored seed";

	r = agent_open_seed(a, data, len, &op, rk, deployment, a->status.seed_serial);
	role_keypair_free(rk);
	if (r < 0) {
		snprintf(why, sizeof why, "seed from %s refused: %s", source, seed_strerror(r));
		goto out;
	}
	a->seed_open = true;
	a->host = model_find_host(a->model, a->seed.host);
	a->seed_is_new = a->seed.serial > a->status.seed_serial || !was_done;
	a->overrides_changed = !overrides_equal(&a->overrides, &last);
	r = overrides_apply(a->model, &a->model->hosts[a->host - a->model->hosts], &a->overrides, why,
			    sizeof why);
	if (r == 0 && a->overrides_changed && (r = overrides_save(stored_ovr, &a->overrides)) < 0)
		snprintf(why, sizeof why, "cannot record the OVF overrides in %s: %s", stored_ovr, strerror(-r));
	if (r < 0)
		goto out;
	if (a->seed_is_new) {
		int e = write_file_atomic(stored, data, len, 0600);
		if (e < 0)
			log_warn_errno(e, "could not keep a copy of the seed in %s", stored);
		a->status.seed_serial = a->seed.serial;
	}
	snprintf(why, sizeof why, "host %s (%s), deployment %s, serial %llu, from %s", a->seed.host, a->seed.role,
		 a->seed.deployment, (unsigned long long)a->seed.serial, source);
out:
	overrides_free(&last);
	free(stored_ovr);
	free(data);
	free(stored);
	free(deployment);
	return agent_step_end(a, step, r, "%s", why);
}
