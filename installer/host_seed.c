/* Seed building shared by kiln seed/build/package; see host_seed.h. */
#include "installer/host_seed.h"
#include "installer/keystore.h"
#include "installer/mon_certs.h"
#include "installer/state.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/numparse.h"
#include "lib/rolekey.h"
#include "lib/seed.h"
#include "lib/xalloc.h"
#include "profiles/backup.h"
#include "profiles/monitoring.h"
#include "profiles/secrets_catalog.h"
#include "profiles/seed_topology.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Next serial: <state>/serial + 1; the caller holds the state lock, so
 * parallel runs never share one. */
static int next_serial(const char *state, uint64_t *out)
{
	char *sp = path_join(state, "serial"), *t = NULL;
	int r = 0;
	uint64_t n = 0;
	size_t len;
	r = read_file(sp, 64, &t, &len);
	if (r == -ENOENT)
		r = 0;
	else if (r < 0) {
		log_error_errno(r, "cannot read %s", sp);
		goto done;
	} else {
		if (len && t[len - 1] == '\n')
			t[--len] = '\0';
		if (parse_u64(t, 0, UINT64_MAX - 1, &n) < 0) {
			r = log_error_errno(EBADMSG, "%s is not a serial number", sp);
			goto done;
		}
	}
	char num[32];
	int k = snprintf(num, sizeof num, "%" PRIu64 "\n", n + 1);
	r = write_file_atomic(sp, num, (size_t)k, 0600);
	if (r < 0) {
		log_error_errno(r, "cannot write %s", sp);
		goto done;
	}
	*out = n + 1;
done:
	free(t);
	free(sp);
	return r;
}

static void add_public_file(const char *state, const char *name, struct seed_file **v, size_t *n)
{
	char *p = path_join(state, name), *t;
	size_t len;
	if (read_file(p, 65536, &t, &len) == 0) {
		*v = xrealloc(*v, (*n + 1) * sizeof **v);
		(*v)[(*n)++] = (struct seed_file){ xstrdup(name), (uint8_t *)t, len };
	}
	free(p);
}

/* Does host h carry the app's certificate and key? (app hosts, lb hosts
 * that end TLS) */
static bool carries_app_cert(const struct model *m, const struct host *h)
{
	return h->role == ROLE_APP || (h->role == ROLE_LB && m->roles.lb.tls == LB_TLS_TERMINATE);
}

/* The TLS units the seed carries, whole: kiln's CA for every host, the app
 * certificate and its key for app hosts and lb hosts that end TLS. */
static int check_tls(const char *profile, const char *state, const struct model *m, const struct host *h)
{
	bool app = secret_known(m, "tls_key"), app_from_ca = app && !m->roles.app.tls_cert;
	struct ks_tls tl;
	int r = keystore_tls(state, app_from_ca, (int64_t)time(NULL), &tl);
	if (r == 0 && deployment_has_ca(m) && !app_from_ca)
		r = keystore_ca(state, (int64_t)time(NULL), &tl);
	if (r == 0 && deployment_has_ca(m))
		r = keystore_require(tl.ca, &tl.ca_pb, "secrets", profile);
	if (r == 0 && app && carries_app_cert(m, h))
		r = keystore_require(tl.cert, &tl.cert_pb, "secrets", profile);
	keystore_tls_free(&tl);
	return r;
}

/* A monitoring certificate unit the seed carries: checked whole against the
 * CA, its certificate as a public file, its key as the secret key_name. */
static int add_mon_cert(const char *profile, const char *state, const struct model *m, enum mon_cert k,
			const struct host *h, const char *file, const char *key_name, struct seed_file **files,
			size_t *n_files, struct seed_secret *s)
{
	_cleanup_free_ char *ca_p = path_join(state, "ca.pem"), *ca = NULL;
	char *pem = NULL;
	struct ks_problem pb = { 0 };
	int r = read_file(ca_p, 1u << 20, &ca, NULL);
	if (r < 0)
		return log_error_errno(r, "cannot read %s", ca_p);
	r = mon_cert_check(state, m, k, h, ca, (int64_t)time(NULL), &pem, &s->value, &pb);
	if ((r = keystore_require(r, &pb, "secrets", profile)) < 0)
		return r;
	s->name = (char *)key_name;
	s->len = strlen(s->value);
	*files = xrealloc(*files, (*n_files + 1) * sizeof **files);
	(*files)[(*n_files)++] = (struct seed_file){ xstrdup(file), (uint8_t *)pem, strlen(pem) };
	return 0;
}

/* The operator's backup public key, for a host that seals backups to it:
 * it must be there and be one (`kiln backup keys init` makes it). */
static int add_backup_pub(const char *profile, const char *state, struct seed_file **files, size_t *n_files)
{
	_cleanup_free_ char *p = path_join(state, KILN_BACKUP_PUB_FILE), *t = NULL;
	size_t len;
	uint8_t pk[32];
	int r = read_file(p, 4096, &t, &len);
	if (r == -ENOENT) {
		log_error("the profile has backup: but %s does not exist; run 'kiln backup keys init %s'", p,
			  profile ? profile : "PROFILE");
		return -ENOENT;
	}
	if (r < 0)
		return log_error_errno(r, "cannot read %s", p);
	if (backup_pub_parse(t, len, pk) < 0)
		return log_error_errno(EBADMSG, "%s is not a kiln backup public key", p);
	*files = xrealloc(*files, (*n_files + 1) * sizeof **files);
	(*files)[(*n_files)++] = (struct seed_file){ xstrdup(KILN_BACKUP_PUB_FILE), (uint8_t *)t, len };
	t = NULL;
	return 0;
}

/* backup.restore: the operator's backup secret key, checked to be one, as
 * the secret the restore at first boot opens the backups with. */
static int add_backup_key(const char *state, struct seed_secret *s)
{
	_cleanup_free_ char *p = path_join(state, "backup.key");
	char *t = NULL;
	size_t len;
	int r = keystore_read_private(p, &t, &len);
	if (r < 0)
		return log_error_errno(r, "backup.restore: cannot read the backup secret key %s", p);
	struct role_keypair *k = NULL;
	if (backup_key_parse(t, len, &k) < 0) {
		keystore_free_private(t);
		return log_error_errno(EBADMSG, "%s is not a kiln backup secret key", p);
	}
	role_keypair_free(k);
	s->name = (char *)KILN_BACKUP_KEY_SECRET;
	s->value = t;
	s->len = len;
	return 0;
}

int host_seed_build(const char *profile, const struct model *m, const char *text, size_t tlen, const char *state,
		    const char *host_name, struct buf *out, struct host_seed_info *info)
{
	struct minisign_key *op = NULL;
	struct role_keypair *rk = NULL;
	struct ks_problem pb = { 0 };
	struct seed_file *files = NULL;
	struct seed_secret *secrets = NULL;
	size_t n_files = 0, n_secrets = 0;
	const char **names = NULL;
	int r = -EINVAL, lock = -1;

	const struct host *h = model_find_host(m, host_name);
	if (!h) {
		log_error("host '%s' is not in %s", host_name, profile);
		goto done;
	}
	/* under the lock: the serial, and every unit the seed uses checked whole */
	if ((r = keystore_check_dir(state)) < 0 || (r = lock = state_lock(state, STATE_LOCK_WAIT_MS)) < 0 ||
	    (r = keystore_check_owner(state, m->name, profile, false)) < 0 ||
	    (r = keystore_require(keystore_operator_pair(state, &op, &pb), &pb, "keys", profile)) < 0 ||
	    (r = keystore_require(keystore_role_pair(state, role_name(h->role), &rk, &pb), &pb, "keys", profile)) < 0)
		goto done;

	size_t n = secret_names(m, &names);
	secrets = xcalloc(n + 3, sizeof *secrets);   /* + the monitoring keys, the backup key */
	for (size_t i = 0; i < n; i++) {
		if (!host_needs_secret(m, h, names[i]))
			continue;
		struct seed_secret *s = &secrets[n_secrets];
		r = keystore_secret(state, secret_kind_of(m, names[i]), names[i], &s->value, &s->len, &pb);
		if ((r = keystore_require(r, &pb, "secrets", profile)) < 0)
			goto done;
		s->name = (char *)names[i];
		n_secrets++;
	}
	if ((secret_known(m, "tls_key") || deployment_has_ca(m)) && (r = check_tls(profile, state, m, h)) < 0)
		goto done;
	if (deployment_has_ca(m))
		add_public_file(state, MON_CA_FILE, &files, &n_files);
	if (carries_app_cert(m, h))
		add_public_file(state, "tls_cert.pem", &files, &n_files);
	if (backup_on_host(m, h) && (r = add_backup_pub(profile, state, &files, &n_files)) < 0)
		goto done;
	if (backup_on_host(m, h) && m->backup.restore) {
		if ((r = add_backup_key(state, &secrets[n_secrets])) < 0)
			goto done;
		n_secrets++;
	}
	if (monitoring_on(m)) {
		if ((r = add_mon_cert(profile, state, m, MON_CERT_HOST, h, MON_HOST_CERT, MON_HOST_KEY, &files, &n_files,
				      &secrets[n_secrets])) < 0)
			goto done;
		n_secrets++;
	}
	if (monitoring_is_host(m, h)) {
		if ((r = add_mon_cert(profile, state, m, MON_CERT_SCRAPE, NULL, MON_SCRAPE_CERT, MON_SCRAPE_KEY, &files,
				      &n_files, &secrets[n_secrets])) < 0)
			goto done;
		n_secrets++;
	}

	uint64_t serial = 0;
	if ((r = next_serial(state, &serial)) < 0)
		goto done;
	struct seed_params sp = {
		.topology = text, .topology_len = tlen, .host = host_name,
		.serial = serial, .created = (int64_t)time(NULL),
		.files = files, .n_files = n_files, .secrets = secrets, .n_secrets = n_secrets,
	};
	r = seed_build_for_host(m, &sp, rk->pk, op, out);
	if (r < 0) {
		log_error_errno(r, "cannot build the seed for %s", host_name);
		goto done;
	}
	if (info) {
		info->serial = serial;
		info->n_secrets = n_secrets;
	}
	r = 0;
done:
	for (size_t i = 0; i < n_secrets; i++)
		keystore_free_private(secrets[i].value);
	free(secrets);
	for (size_t i = 0; i < n_files; i++) {
		free(files[i].name);
		free(files[i].data);
	}
	free(files);
	free(names);
	minisign_key_free(op);
	role_keypair_free(rk);
	state_unlock(lock);
	return r;
}
