/* Monitoring certificates in the state directory; see mon_certs.h. */
#include "installer/mon_certs.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/tls_ca.h"
#include "lib/xalloc.h"
#include "profiles/monitoring.h"
#include "profiles/secrets_catalog.h"
#include <errno.h>
#include <stdlib.h>

#define NEW_HOST "makes a new certificate for the host from the CA: the host needs a new seed"
#define NEW_SCRAPE "makes a new client certificate for Prometheus from the CA: the monitoring host needs a new seed"
#define NEW_OPERATOR "makes a new client certificate for the operator from the CA"

bool deployment_has_ca(const struct model *m)
{
	return monitoring_on(m) || (secret_known(m, "tls_key") && !m->roles.app.tls_cert);
}

char *mon_cert_path(enum mon_cert k, const struct host *h, bool key)
{
	const char *ext = key ? "key" : "pem";
	switch (k) {
	case MON_CERT_HOST: return xasprintf("monitoring/hosts/%s.%s", h->name, ext);
	case MON_CERT_SCRAPE: return xasprintf("monitoring/scrape.%s", ext);
	case MON_CERT_OPERATOR: break;
	}
	return xasprintf("monitoring/operator.%s", ext);
}

/* What a certificate of kind k for h is issued for: the request and CN. */
struct names {
	char *fqdn;
	const char *dns[2];
	uint32_t ip;
	struct tls_cert_req req;
};

static void names_of(const struct model *m, enum mon_cert k, const struct host *h, struct names *n)
{
	*n = (struct names){ 0 };
	if (k != MON_CERT_HOST) {
		n->fqdn = xasprintf("kiln %s %s", k == MON_CERT_SCRAPE ? "prometheus" : "operator", m->name);
		n->req = (struct tls_cert_req){ .cn = n->fqdn, .usage = TLS_USAGE_CLIENT };
		return;
	}
	n->fqdn = xasprintf("%s.%s", h->name, m->domain);
	n->dns[0] = n->fqdn;
	n->dns[1] = h->name;
	n->ip = h->address;
	/* The CN names the host: journal-remote files each host's journal by it. */
	n->req = (struct tls_cert_req){ .cn = n->fqdn, .dns = n->dns, .n_dns = 2, .ips = &n->ip,
					.n_ips = h->dhcp ? 0 : 1, .usage = TLS_USAGE_SERVER };
}

int mon_cert_check(const char *state, const struct model *m, enum mon_cert k, const struct host *h,
		   const char *ca_pem, int64_t now, char **pem_out, char **key_out, struct ks_problem *pb)
{
	_cleanup_free_ char *pr = mon_cert_path(k, h, false), *kr = mon_cert_path(k, h, true);
	_cleanup_free_ char *pp = path_join(state, pr), *kp = path_join(state, kr);
	const char *repair = k == MON_CERT_HOST ? NEW_HOST : k == MON_CERT_SCRAPE ? NEW_SCRAPE : NEW_OPERATOR;
	char *pem = NULL, *key = NULL;
	const char *why;
	struct names n;
	int r = keystore_read_pair(pp, kp, &pem, &key, repair, pb);
	if (r == KS_OK) {
		names_of(m, k, h, &n);
		if (tls_check_cert(pem, key, ca_pem, now, &why) < 0 || tls_check_usage(pem, n.req.usage, &why) < 0 ||
		    tls_check_names(pem, n.req.dns, n.req.n_dns, n.req.ips, n.req.n_ips, &why) < 0)
			r = ks_problem_set(pb, KS_BAD, repair, "%s: %s", pp, why);
		free(n.fqdn);
	}
	if (r == KS_OK && pem_out) {
		*pem_out = pem;
		*key_out = key;
	} else {
		free(pem);
		keystore_free_private(key);
	}
	return r;
}

int mon_cert_issue(const struct model *m, enum mon_cert k, const struct host *h, const char *ca_pem, const char *ca_key,
		   char **pem, char **key)
{
	struct names n;
	names_of(m, k, h, &n);
	int r = tls_issue_cert(ca_pem, ca_key, &n.req, pem, key);
	free(n.fqdn);
	return r;
}
