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

/* Server certificate for the given DNS names and IPv4 addresses (host
 * order), signed by the CA; CN = dns[0] (or the first IP). */
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
#endif
