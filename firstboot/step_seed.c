/* Step "seed": fetch the seed from the datasource, verify and open it with
 * the operator's public key and this role's private key, refuse downgrades,
 * and refuse a seed for another host than the one this host became at its
 * first seed (firstboot/pin.h). Then, before anything else changes, the work
 * a newer seed owes (every later step) is recorded in the status, in the
 * same atomic write as its serial (firstboot/agent.h). The raw (still
 * sealed) seed is kept in /var/lib/kiln/seed (0600) so a reboot needs no
 * datasource; the secrets stay in memory; the file or medium the seed came
 * from is made root-only (firstboot/seed_medium.h). */
#include "firstboot/agent.h"
#include "firstboot/pin.h"
#include "firstboot/seed_medium.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/names.h"
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ETC_FILE_MAX (1u << 16)

/* A file the image carries in /etc/kiln: a regular file, not a symlink,
 * small; why names the file when it is not. */
static int read_etc(const struct agent *a, const char *name, int flags, char **data, size_t *len, char *why,
		    size_t why_len)
{
	char *abs = xasprintf(KILN_ETC "/%s", name);
	char *p = agent_path(a, abs);
	int r = read_input(p, INPUT_NOFOLLOW | flags, ETC_FILE_MAX, data, len);
	if (r == -EPERM)
		snprintf(why, why_len, "%s must be a root-only (0600) file owned by root", abs);
	else if (r < 0)
		snprintf(why, why_len, "%s %s", abs, input_strerror(r));
	free(p);
	free(abs);
	return r;
}

/* What the image says about itself: whose seeds to trust, the key seeds are
 * sealed to, and the deployment it belongs to. */
static int load_image_facts(const struct agent *a, struct minisign_pub *op, struct role_keypair **rk,
			    char **deployment, char *why, size_t why_len)
{
	char *text;
	size_t len;
	int r = read_etc(a, "operator.pub", 0, &text, &len, why, why_len);
	if (r < 0)
		return r;
	r = minisign_pub_parse(text, len, op);
	free(text);
	if (r < 0) {
		snprintf(why, why_len, KILN_OPERATOR_PUB " is not a minisign public key");
		return r;
	}
	if ((r = read_etc(a, "role.key", INPUT_PRIVATE, &text, &len, why, why_len)) < 0)
		return r;
	r = role_key_parse(text, len, rk);
	sodium_memzero(text, len);
	free(text);
	if (r < 0) {
		snprintf(why, why_len, "cannot load " KILN_ROLE_KEY ": not a kiln role key");
		return r;
	}
	if ((r = read_etc(a, "deployment", 0, &text, &len, why, why_len)) < 0)
		return r;
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		text[--len] = '\0';
	const char *bad = strlen(text) == len ? name_check_simple(text, PIN_NAME_MAX) : "must not hold NUL bytes";
	if (bad) {
		snprintf(why, why_len, KILN_DEPLOYMENT_FILE " does not hold a deployment name: it %s", bad);
		free(text);
		return -EINVAL;
	}
	*deployment = text;
	return 0;
}

/* Who this host is. A host set up before pins were kept has none on file:
 * the seed it stored (verified when stored) says who it became. */
static int pinned_identity(const struct agent *a, const struct minisign_pub *op, struct pin *p, bool *have,
			   bool *on_file)
{
	char *path = path_join(a->state_dir, PIN_FILE);
	int r = pin_load(path, p);
	free(path);
	*have = *on_file = r == 0;
	if (r != -ENOENT)
		return r;
	char *stored = path_join(a->state_dir, "seed"), *data;
	size_t len;
	if (read_input(stored, INPUT_NOFOLLOW, SEED_MAX_BYTES, &data, &len) == 0) {
		struct seed s;
		int sig = -1;
		if (seed_inspect(data, len, op, &s, &sig) == 0) {
			*have = sig == 0 && pin_set(p, s.deployment, s.host) == 0;
			seed_free(&s);
		}
		free(data);
	}
	free(stored);
	return 0;
}

int step_seed(struct agent *a)
{
	const char *step = "seed";
	status_set(&a->status, step, STEP_RUNNING, NULL);
	agent_save(a);

	struct minisign_pub op;
	struct role_keypair *rk = NULL;
	struct overrides last = { 0 };
	struct pin pin;
	bool pinned = false, pin_on_file = false;
	char *deployment = NULL, *data = NULL;
	char *stored = path_join(a->state_dir, "seed");
	char *stored_ovr = path_join(a->state_dir, "overrides");
	char why[600] = "";
	size_t len = 0;
	agent_phase(a, "image-facts");
	int r = load_image_facts(a, &op, &rk, &deployment, why, sizeof why);
	if (r < 0)
		goto out;
	if ((r = pinned_identity(a, &op, &pin, &pinned, &pin_on_file)) < 0) {
		snprintf(why, sizeof why, "this host's identity record /var/lib/kiln/" PIN_FILE " %s; if the host is "
			 "to be re-purposed, run kiln-firstboot repurpose --host NAME",
			 r == -EBADMSG ? "is corrupt" : input_strerror(r));
		goto out;
	}
	if (overrides_load(stored_ovr, &last) < 0)
		log_warn("%s is unreadable or corrupt; treating it as empty", stored_ovr);

	/* A fresh seed from the datasource wins; the stored one covers reboots
	 * where the datasource is gone (ISO detached) or slow. */
	struct ds_result ds;
	agent_phase(a, "datasource");
	if (datasource_fetch(&a->ds, &ds) == 0) {
		data = xstrndup(ds.seed.data ? ds.seed.data : "", ds.seed.len);
		len = ds.seed.len;
		free(a->status.datasource);
		a->status.datasource = xstrdup(ds.source);
		overrides_from_ovf(&ds.ovf, &a->overrides);
		if (ds.medium)
			seed_medium_conceal(a, ds.medium, ds.medium_is_media);
	} else if (read_input(stored, INPUT_NOFOLLOW, SEED_MAX_BYTES, &data, &len) == 0) {
		log_warn("datasource unavailable; using the seed stored at first boot");
		/* Same seed, same overrides: the host keeps its network. */
		for (int k = 0; k < OVR__COUNT; k++)
			a->overrides.value[k] = last.value[k] ? xstrdup(last.value[k]) : NULL;
	}
	a->platform = ds.platform;
	ds_result_free(&ds);
	if (!data) {
		r = -ENOENT;
		snprintf(why, sizeof why, "no seed: the datasource gave none (see the journal for why)");
		goto out;
	}
	const char *source = a->status.datasource ? a->status.datasource : "stored seed";

	agent_phase(a, "open");
	r = agent_open_seed(a, data, len, &op, rk, deployment, a->status.seed_serial);
	if (r < 0) {
		snprintf(why, sizeof why, "seed from %s refused: %s", source, seed_strerror(r));
		goto out;
	}
	a->seed_open = true;
	a->host = model_find_host(a->model, a->seed.host);
	if (pinned && !pin_matches(&pin, a->seed.deployment, a->seed.host)) {
		r = -EPERM;
		snprintf(why, sizeof why, "seed from %s refused: it is for host %s of deployment %s, but this host is %s "
			 "of %s (pinned at its first seed); to re-purpose this host deliberately, run "
			 "kiln-firstboot repurpose --host %s", source, a->seed.host, a->seed.deployment, pin.host,
			 pin.deployment, a->seed.host);
		goto out;
	}
	struct host *h = &a->model->hosts[a->host - a->model->hosts];
	if ((r = overrides_apply(a->model, h, &a->overrides, why, sizeof why)) < 0)
		goto out;
	bool overrides_changed = !overrides_equal(&a->overrides, &last);
	bool is_new = a->seed.serial > a->status.seed_serial;

	agent_phase(a, "record");
	/* The order below is what makes an interruption anywhere safe. */
	if (is_new) {
		/* 1. The seed itself first: a recorded serial always has its seed at hand. */
		int e = write_file_atomic(stored, data, len, 0600);
		if (e < 0)
			log_warn_errno(e, "could not keep a copy of the seed in %s", stored);
		agent_checkpoint("seed:stored");
	}
	if (!pin_on_file) {
		/* 2. Who this host is, at its first seed. */
		char *pin_path = path_join(a->state_dir, PIN_FILE);
		if ((r = pin_set(&pin, a->seed.deployment, a->seed.host)) == 0)
			r = pin_save(pin_path, &pin);
		if (r < 0)
			snprintf(why, sizeof why, "cannot record this host's identity in %s: %s", pin_path, strerror(-r));
		free(pin_path);
		if (r < 0)
			goto out;
		agent_checkpoint("seed:pinned");
	}
	/* 3. The work owed, in the same atomic write as the serial that owes it. */
	if (is_new) {
		for (size_t i = 0; i < agent_n_steps; i++)
			agent_owe(a, agent_steps[i].name, "seed serial %llu", (unsigned long long)a->seed.serial);
		a->status.seed_serial = a->seed.serial;
	} else if (overrides_changed)
		agent_owe(a, "identity", "the OVF overrides changed");
	if ((is_new || overrides_changed) && (r = agent_save(a)) < 0) {
		snprintf(why, sizeof why, "cannot record the work this seed owes in %s: %s", a->status_path, strerror(-r));
		goto out;
	}
	agent_checkpoint("seed:owed");
	/* 4. The overrides that took effect, now that identity owes them. */
	if (overrides_changed && (r = overrides_save(stored_ovr, &a->overrides)) < 0) {
		snprintf(why, sizeof why, "cannot record the OVF overrides in %s: %s", stored_ovr, strerror(-r));
		goto out;
	}
	snprintf(why, sizeof why, "host %s (%s), deployment %s, serial %llu, from %s", a->seed.host, a->seed.role,
		 a->seed.deployment, (unsigned long long)a->seed.serial, source);
out:
	role_keypair_free(rk);
	overrides_free(&last);
	free(stored_ovr);
	free(data);
	free(stored);
	free(deployment);
	return agent_step_end(a, step, r, "%s", why);
}
