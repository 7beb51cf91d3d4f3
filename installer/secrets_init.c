/* kiln secrets init's units (state_init.h): every secret the deployment
 * has, one per file in <state>/secrets/ (0600), generated once and kept
 * afterwards; the deployment's TLS CA and the app server certificate, or
 * the operator's certificate copied in. Values are never printed: only
 * names and "generated"/"kept"/"copied"/"repaired". */
#include "installer/keystore.h"
#include "installer/state_init.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/secret_gen.h"
#include "lib/tls_ca.h"
#include "lib/xalloc.h"
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

/* The app server certificate: SANs server_name, or each app host's FQDN and
 * static address; staged with its key. */
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
			if (m->hosts[i].role == ROLE_APP) {
				owned[i] = xasprintf("%s.%s", m->hosts[i].name, m->domain);
				dns = xgrow(dns, &cd, nd + 1, sizeof *dns);
				dns[nd++] = owned[i];
			}
	}
	for (size_t i = 0; i < m->n_hosts; i++)
		if (m->hosts[i].role == ROLE_APP && !m->hosts[i].dhcp && m->hosts[i].address) {
			ips = xgrow(ips, &ci, ni + 1, sizeof *ips);
			ips[ni++] = m->hosts[i].address;
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

/* A new deployment CA and an app certificate from it. */
static int new_ca_and_cert(struct state_init *u)
{
	char *cn = xasprintf("kiln %s deployment CA", u->m->name), *cert = NULL, *key = NULL;
	int r = tls_ca_create(cn, &cert, &key);
	free(cn);
	if (r < 0)
		log_error("cannot create the TLS CA (OpenSSL failed)");
	else if ((r = state_txn_put(u->t, "ca.key", key, strlen(key), 0600)) == 0 &&
		 (r = state_txn_put(u->t, "ca.pem", cert, strlen(cert), 0644)) == 0)
		r = issue_cert(u, cert, key);
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

/* The TLS units (CA, app certificate + tls_key), checked and made or mended. */
static int do_tls(struct state_init *u)
{
	bool own_ca = !u->m->roles.app.tls_cert;
	struct ks_tls tl;
	int r = keystore_tls(u->state, own_ca, (int64_t)time(NULL), &tl);
	if (r < 0)
		return r;
	if (!own_ca) {
		if (tl.cert == KS_OK)
			buf_puts(&u->out, "tls_key: kept\n");
		else if (tl.cert == KS_MISSING || broken(u, tl.cert, &tl.cert_pb)) {
			if ((r = copy_operator_tls(u)) == 0)
				buf_printf(&u->out, "tls_key: %s\n", tl.cert == KS_MISSING ? "copied" : "repaired (copied again)");
		}
	} else if (tl.ca == KS_OK) {
		buf_puts(&u->out, "ca: kept\n");
		if (tl.cert == KS_OK)
			buf_puts(&u->out, "tls_key: kept\n");
		else if (tl.cert == KS_MISSING || broken(u, tl.cert, &tl.cert_pb)) {
			if ((r = issue_cert(u, tl.ca_pem, tl.ca_key)) == 0)
				buf_printf(&u->out, "tls_key: %s\n",
					   tl.cert == KS_MISSING ? "generated" : "repaired (new certificate and key from the CA)");
		}
	} else if (tl.ca == KS_MISSING && tl.cert == KS_MISSING) {
		if ((r = new_ca_and_cert(u)) == 0)
			buf_puts(&u->out, "ca: generated\ntls_key: generated\n");
	} else if (tl.ca == KS_MISSING ? broken(u, tl.cert, &tl.cert_pb) : broken(u, tl.ca, &tl.ca_pb)) {
		if ((r = new_ca_and_cert(u)) == 0)
			buf_puts(&u->out, "ca: repaired (new CA)\ntls_key: repaired (new certificate and key from the new CA)\n");
	}
	keystore_tls_free(&tl);
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
	else if (st == KS_MISSING || broken(u, st, &pb)) {
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
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		enum secret_kind k = secret_kind_of(u->m, names[i]);
		r = k == SECRET_TLS_KEY ? do_tls(u) : do_secret(u, names[i], k);
	}
	free(names);
	return r;
}
