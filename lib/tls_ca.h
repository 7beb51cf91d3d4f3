/* A deployment's private TLS CA and the app server certificate (OpenSSL
 * libcrypto): EC P-256 keys, SHA-256 signatures, 10-year validity (the
 * appliances have no renewal path yet; the CA never leaves the operator's
 * state directory). PEM strings are malloc'd; private key PEMs are secrets:
 * free them with tls_free_secret (wipes). Return 0 or -errno (-EIO for an
 * OpenSSL failure, -EINVAL for unusable input PEM). */
#ifndef KILN_TLS_CA_H
#define KILN_TLS_CA_H
#include <stddef.h>
#include <stdint.h>

int tls_ca_create(const char *common_name, char **cert_pem, char **key_pem);

/* A certificate signed by the CA for the given DNS names and IPv4 addresses
 * (host order; none for a client certificate with a CN), CN = cn, else
 * dns[0], else the first IP; its extended key usage says what it may be
 * used for: serverAuth, clientAuth or both. */
enum { TLS_USAGE_SERVER = 1, TLS_USAGE_CLIENT = 2 };
struct tls_cert_req {
	const char *cn;
	const char *const *dns; size_t n_dns;
	const uint32_t *ips; size_t n_ips;
	unsigned usage;                      /* TLS_USAGE_* bits */
};
int tls_issue_cert(const char *ca_cert_pem, const char *ca_key_pem, const struct tls_cert_req *req,
		   char **cert_pem, char **key_pem);

/* A server certificate (tls_issue_cert, TLS_USAGE_SERVER). */
int tls_server_cert(const char *ca_cert_pem, const char *ca_key_pem,
		    const char *const *dns, size_t n_dns, const uint32_t *ips, size_t n_ips,
		    char **cert_pem, char **key_pem);

void tls_free_secret(char *pem);

/* Consistency checks of what the operator's state holds, at time `now`
 * (Unix seconds). Each returns 0, or a negative code with *why set to a
 * static sentence saying what is wrong (no file names, no key material):
 *   -EBADMSG       a PEM that does not parse as a certificate / private key
 *   -EKEYREJECTED  the key is not the certificate's, or the certificate is
 *                  not signed by the CA
 *   -EKEYEXPIRED   outside the certificate's validity (expired / not yet valid)
 *   -EINVAL        a CA certificate that is not a CA, or a server one that is
 * tls_check_ca: the CA certificate and its key (key_pem may be NULL: the
 * certificate alone). tls_check_cert: a server certificate, its key (NULL:
 * not checked) and, if ca_pem is given, that the CA issued and signed it. */
int tls_check_ca(const char *ca_pem, const char *key_pem, int64_t now, const char **why);
int tls_check_cert(const char *cert_pem, const char *key_pem, const char *ca_pem, int64_t now, const char **why);
/* More checks of a certificate, same returns: tls_check_usage that its
 * extended key usage is exactly usage (-EINVAL); tls_check_names that it
 * names every DNS name and address given (-EKEYREJECTED). */
int tls_check_usage(const char *cert_pem, unsigned usage, const char **why);
int tls_check_names(const char *cert_pem, const char *const *dns, size_t n_dns, const uint32_t *ips, size_t n_ips,
		    const char **why);
/* When the certificate expires (Unix seconds); -EBADMSG if it does not parse. */
int tls_cert_not_after(const char *cert_pem, int64_t *out);
#endif
