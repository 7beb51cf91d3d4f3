/* The certificates monitoring needs, kept in the state directory
 * (docs/keys-and-seeds.md, docs/monitoring.md), all from the deployment CA:
 *   monitoring/hosts/<host>.pem + .key   each host's certificate: serverAuth
 *                                       (exporters, journal-remote,
 *                                       Prometheus) and the client side of
 *                                       its journal upload
 *   monitoring/scrape.pem + .key        Prometheus' client certificate
 *                                       (clientAuth only): the one the
 *                                       exporters accept
 *   monitoring/operator.pem + .key      the operator's client certificate for
 *                                       Prometheus' API, UI and status page
 * Each pair is one unit: consistent when the CA issued it, the key is its
 * key, it is inside its validity, made for its use and, for a host, names
 * the host (FQDN, name, static address) as the profile does now. */
#ifndef KILN_MON_CERTS_H
#define KILN_MON_CERTS_H
#include <stdbool.h>
#include <stdint.h>
#include "installer/keystore.h"
#include "profiles/model.h"

enum mon_cert { MON_CERT_HOST, MON_CERT_SCRAPE, MON_CERT_OPERATOR };

/* The unit's file, relative to the state directory (malloc'd): its
 * certificate, or with key its private key. h only for MON_CERT_HOST. */
char *mon_cert_path(enum mon_cert k, const struct host *h, bool key);

/* KS_OK, KS_MISSING, KS_BAD (*pb says what and what --repair does) or a
 * logged -errno (modes, I/O). ca_pem: the CA the unit must come from. With
 * KS_OK and pem/key given, both are returned (*key private memory:
 * keystore_free_private). */
int mon_cert_check(const char *state, const struct model *m, enum mon_cert k, const struct host *h,
		   const char *ca_pem, int64_t now, char **pem, char **key, struct ks_problem *pb);

/* A new certificate of that kind from the CA: *pem malloc'd, *key to free
 * with tls_free_secret. -EINVAL: CA certificate and key do not match; -EIO. */
int mon_cert_issue(const struct model *m, enum mon_cert k, const struct host *h, const char *ca_pem, const char *ca_key,
		   char **pem, char **key);

/* Whether this deployment has a CA of kiln's: monitoring, or an app whose
 * certificate kiln makes (no roles.app.tls). */
bool deployment_has_ca(const struct model *m);
#endif
