/* kiln secrets init's units (state_init.h): every secret the deployment
 * has, one per file in <state>/secrets/ (0600), generated once and kept
 * afterwards; the deployment's TLS CA and the app server certificate, or
 * the operator's certificate copied in; with monitoring, every host's,
 * Prometheus' and the operator's certificate from the CA. Values are never printed: only
 * names and "generated"/"kept"/"copied"/"repaired". */
#include "installer/keystore.h"
#include "installer/mon_certs.h"
#include "installer/state_init.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/secret_gen.h"
#include "lib/tls_ca.h"
#include "lib/xalloc.h"
#include "profiles/monitoring.h"
#include "profiles/secrets_catalog.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A unit kiln cannot keep: with --repair say so (1: do it), else log it. */
static int broken(struct state_init *u, int status, struct ks_problem *pb)
{
	if (u->repair) {
		ks_problem_free(pb);
		return 1;
	}
	keystore_require(status, pb, "secrets", u->profile);
	u->refused++;
	return 0;
}

static int put_secret(struct state_init *u, const char *name, const char *v)
{
	char *p = path_join("secrets", name);
	int r = state_txn_put(u->t, p, v, strlen(v), 0600);
	free(p);
	return r;
}

/* The app server certificate: SANs server_name, or each app and lb host's
 * FQDN; and each app and lb host's static address and the lb hosts' virtual
 * address; staged with its key. */
static int issue_cert(struct state_init *u, const char *ca_cert, const char *ca_key)
{
	const struct model *m = u->m;
	const char **dns = NULL;
	uint32_t *ips = NULL;
	size_t nd = 0, ni = 0, cd = 0, ci = 0;
	char **owned = xcalloc(m->n_hosts + 1, sizeof *owned), *cert = NULL, *key = NULL;
	if (m->roles.app.server_name) {
		dns = xgrow(dns, &cd, 1, sizeof *dns);
		dns[nd++] = m->roles.app.server_name;
	} else {
		for (size_t i = 0; i < m->n_hosts; i++)
			if (m->hosts[i].role == ROLE_APP || m->hosts[i].role == ROLE_LB) {
				owned[i] = xasprintf("%s.%s", m->hosts[i].name, m->domain);
				dns = xgrow(dns, &cd, nd + 1, sizeof *dns);
				dns[nd++] = owned[i];
			}
	}
	for (size_t i = 0; i < m->n_hosts; i++)
		if ((m->hosts[i].role == ROLE_APP || m->hosts[i].role == ROLE_LB) && !m->hosts[i].dhcp &&
		    m->hosts[i].address) {
			ips = xgrow(ips, &ci, ni + 1, sizeof *ips);
			ips[ni++] = m->hosts[i].address;
		}
	if (m->roles.lb.virtual_address && model_has_role(m, ROLE_LB)) {
		ips = xgrow(ips, &ci, ni + 1, sizeof *ips);
		ips[ni++] = m->roles.lb.virtual_address;
	}
	int r = tls_server_cert(ca_cert, ca_key, dns, nd, ips, ni, &cert, &key);
	for (size_t i = 0; i < m->n_hosts; i++)
		free(owned[i]);
	free(owned);
	free(dns);
	free(ips);
	if (r < 0)
		log_error("cannot create the app TLS certificate%s", r == -EINVAL ? ": ca.pem and ca.key do not match" : "");
	else if ((r = state_txn_put(u->t, "tls_cert.pem", cert, strlen(cert), 0644)) == 0)
		r = put_secret(u, "tls_key", key);
	free(cert);
	tls_free_secret(key);
	return r;
}

/* A new deployment CA, staged; it issues every certificate of this run. */
static int new_ca(struct state_init *u)
{
	char *cn = xasprintf("kiln %s deployment CA", u->m->name), *cert = NULL, *key = NULL;
	int r = tls_ca_create(cn, &cert, &key);
	free(cn);
	if (r < 0)
		log_error("cannot create the TLS CA (OpenSSL failed)");
	else if ((r = state_txn_put(u->t, "ca.key", key, strlen(key), 0600)) == 0 &&
		 (r = state_txn_put(u->t, "ca.pem", cert, strlen(cert), 0644)) == 0) {
		u->ca_pem = TAKE_PTR(cert);
		u->ca_key = xstrdup(key);
		u->ca_new = true;
	}
	free(cert);
	tls_free_secret(key);
	return r;
}

/* roles.app.tls cert/key given: copy them into the state, if they are a
 * matching, valid pair. */
static int copy_operator_tls(struct state_init *u)
{
	const struct model *m = u->m;
	char *cp = path_beside(u->profile, m->roles.app.tls_cert);
	char *kp = path_beside(u->profile, m->roles.app.tls_key);
	char *cert = NULL, *key = NULL;
	const char *why;
	size_t n;
	int r = read_file(cp, 1u << 20, &cert, &n);
	if (r < 0)
		log_error_errno(r, "cannot read roles.app.tls.cert %s", cp);
	else if ((r = keystore_read_private(kp, &key, &n)) == 0) {
		if (!strstr(key, "-----BEGIN ") || !strstr(cert, "-----BEGIN CERTIFICATE-----"))
			r = log_error_errno(EINVAL, "roles.app.tls cert/key are not PEM files");
		else if (tls_check_cert(cert, key, NULL, (int64_t)time(NULL), &why) < 0)
			r = log_error_errno(EINVAL, "roles.app.tls cert %s and key %s: %s", cp, kp, why);
		else if ((r = state_txn_put(u->t, "tls_cert.pem", cert, strlen(cert), 0644)) == 0)
			r = put_secret(u, "tls_key", key);
	}
	keystore_free_private(key);
	free(cert);
	free(cp);
	free(kp);
	return r;
}

/* The TLS units (CA, app certificate + tls_key), checked and made or
 * mended. The CA exists for the app's certificate unless roles.app.tls
 * gives one, and always with monitoring (mon_certs.h). */
static int do_tls(struct state_init *u)
{
	bool own_ca = deployment_has_ca(u->m), app = secret_known(u->m, "tls_key");
	bool app_from_ca = app && !u->m->roles.app.tls_cert;
	struct ks_tls tl;
	int r = keystore_tls(u->state, app_from_ca, (int64_t)time(NULL), &tl);
	if (r == 0 && own_ca && !app_from_ca)
		r = keystore_ca(u->state, (int64_t)time(NULL), &tl);
	if (r < 0) {
		keystore_tls_free(&tl);
		return r;
	}
	if (app && !app_from_ca) {
		if (tl.cert == KS_OK)
			buf_puts(&u->out, "tls_key: kept\n");
		else if (tl.cert == KS_MISSING || broken(u, tl.cert, &tl.cert_pb)) {
			if ((r = copy_operator_tls(u)) == 0)
				buf_printf(&u->out, "tls_key: %s\n", tl.cert == KS_MISSING ? "copied" : "repaired (copied again)");
		}
	}
	if (r < 0 || !own_ca)
		goto out;
	bool fresh = tl.ca == KS_MISSING && (!app_from_ca || tl.cert == KS_MISSING);
	if (tl.ca == KS_OK) {
		buf_puts(&u->out, "ca: kept\n");
		u->ca_pem = TAKE_PTR(tl.ca_pem);
		u->ca_key = xstrdup(tl.ca_key);
	} else if (fresh) {
		if ((r = new_ca(u)) == 0)
			buf_puts(&u->out, "ca: generated\n");
	} else if (tl.ca == KS_MISSING ? broken(u, tl.cert, &tl.cert_pb) : broken(u, tl.ca, &tl.ca_pb)) {
		if ((r = new_ca(u)) == 0)
			buf_puts(&u->out, "ca: repaired (new CA)\n");
	}
	if (r < 0 || !u->ca_pem || !app_from_ca)
		goto out;
	if (!u->ca_new && tl.cert == KS_OK)
		buf_puts(&u->out, "tls_key: kept\n");
	else if (u->ca_new || tl.cert == KS_MISSING || broken(u, tl.cert, &tl.cert_pb)) {
		if ((r = issue_cert(u, u->ca_pem, u->ca_key)) == 0)
			buf_printf(&u->out, "tls_key: %s\n", fresh || tl.cert == KS_MISSING ? "generated"
							      : u->ca_new ? "repaired (new certificate and key from the new CA)"
							      : "repaired (new certificate and key from the CA)");
	}
out:
	keystore_tls_free(&tl);
	return r;
}

/* One monitoring certificate unit: kept, issued, or (--repair) issued anew.
 * A CA made in this run issues every one of them. */
static int do_mon_cert(struct state_init *u, enum mon_cert k, const struct host *h)
{
	struct ks_problem pb = { 0 };
	char *label = mon_cert_path(k, h, false);
	int st = mon_cert_check(u->state, u->m, k, h, u->ca_pem, (int64_t)time(NULL), NULL, NULL, &pb), r = 0;
	if (st < 0) {
		free(label);
		return st;
	}
	if (st == KS_OK && !u->ca_new)
		buf_printf(&u->out, "%s: kept\n", label);
	else if (st == KS_MISSING || (st == KS_OK && u->ca_new) || broken(u, st, &pb)) {
		char *pem = NULL, *key = NULL, *pp = mon_cert_path(k, h, false), *kp = mon_cert_path(k, h, true);
		r = mon_cert_issue(u->m, k, h, u->ca_pem, u->ca_key, &pem, &key);
		if (r < 0)
			log_error("cannot make %s%s", label, r == -EINVAL ? ": ca.pem and ca.key do not match" : "");
		else if ((r = state_txn_put(u->t, pp, pem, strlen(pem), 0644)) == 0 &&
			 (r = state_txn_put(u->t, kp, key, strlen(key), 0600)) == 0)
			buf_printf(&u->out, "%s: %s\n", label, st == KS_MISSING ? "generated"
				   : u->ca_new ? "repaired (new certificate from the new CA)" : "repaired (new certificate)");
		free(pem);
		tls_free_secret(key);
		free(pp);
		free(kp);
	}
	ks_problem_free(&pb);
	free(label);
	return r;
}

/* monitoring: every host's certificate, Prometheus' and the operator's. */
static int do_monitoring(struct state_init *u)
{
	int r = 0;
	if (!monitoring_on(u->m) || !u->ca_pem)
		return 0;
	for (size_t i = 0; r == 0 && i < u->m->n_hosts; i++)
		r = do_mon_cert(u, MON_CERT_HOST, &u->m->hosts[i]);
	if (r == 0)
		r = do_mon_cert(u, MON_CERT_SCRAPE, NULL);
	if (r == 0)
		r = do_mon_cert(u, MON_CERT_OPERATOR, NULL);
	return r;
}

/* One password or access key: kept, generated or mended. */
static int do_secret(struct state_init *u, const char *name, enum secret_kind kind)
{
	struct ks_problem pb = { 0 };
	int st = keystore_secret(u->state, kind, name, NULL, NULL, &pb), r = 0;
	if (st < 0)
		return st;
	if (st == KS_OK)
		buf_printf(&u->out, "%s: kept\n", name);
	else if (kind == SECRET_EXTERNAL && st == KS_MISSING) {
		/* never made here: the seeds of the hosts that need it are refused until it is there */
		const char *key, *doc;
		secret_external_for(name, &key, &doc);
		buf_printf(&u->out, "%s: missing (the operator's: put the key your S3 provider gave you for %s "
			   "into secrets/%s, mode 0600)\n", name, key, name);
	}
	else if (kind == SECRET_EXTERNAL) {
		keystore_require(st, &pb, "secrets", u->profile);   /* --repair cannot make it either */
		u->refused++;
	} else if (st == KS_MISSING || broken(u, st, &pb)) {
		char *v = kind == SECRET_ACCESS_KEY ? secret_gen_access_key() : secret_gen_password();
		if ((r = put_secret(u, name, v)) == 0)
			buf_printf(&u->out, "%s: %s\n", name, st == KS_MISSING ? "generated" : "repaired (new value)");
		secret_value_free(v);
	}
	ks_problem_free(&pb);
	return r;
}

int state_init_secrets(struct state_init *u)
{
	const char **names = NULL;
	size_t n = secret_names(u->m, &names);
	bool tls_done = false;
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		enum secret_kind k = secret_kind_of(u->m, names[i]);
		tls_done |= k == SECRET_TLS_KEY;
		r = k == SECRET_TLS_KEY ? do_tls(u) : do_secret(u, names[i], k);
	}
	/* Without an app certificate, monitoring still needs the CA. */
	if (r == 0 && !tls_done && deployment_has_ca(u->m))
		r = do_tls(u);
	if (r == 0)
		r = do_monitoring(u);
	free(names);
	free(u->ca_pem);
	tls_free_secret(u->ca_key);
	u->ca_pem = u->ca_key = NULL;
	return r;
}
