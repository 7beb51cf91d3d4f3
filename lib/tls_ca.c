#include "lib/tls_ca.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VALIDITY_DAYS 3650L

void tls_free_secret(char *pem)
{
	if (pem) {
		sodium_memzero(pem, strlen(pem));
		free(pem);
	}
}

static char *bio_string(BIO *b)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	return n >= 0 ? xstrndup(p, (size_t)n) : NULL;
}

static char *cert_to_pem(X509 *c)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = b && PEM_write_bio_X509(b, c) ? bio_string(b) : NULL;
	BIO_free(b);
	return s;
}

static char *key_to_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_secmem());
	if (!b)
		b = BIO_new(BIO_s_mem());
	char *s = b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) ? bio_string(b) : NULL;
	BIO_free(b);   /* secure-heap BIO memory is wiped on free */
	return s;
}

static X509 *pem_to_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *c = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return c;
}

/* A passphrase-protected key is refused, never prompted for on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static EVP_PKEY *pem_to_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL) : NULL;
	BIO_free(b);
	return k;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e)
		return -1;
	int ok = X509_add_ext(cert, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* A certificate with a random serial, subject CN, validity from an hour ago. */
static X509 *new_cert(EVP_PKEY *key, const char *cn)
{
	X509 *c = X509_new();
	uint8_t serial[16];
	randombytes_buf(serial, sizeof serial);
	serial[0] &= 0x7f;   /* positive */
	BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
	X509_NAME *name = X509_NAME_new();
	int ok = c && bn && name && X509_set_version(c, 2) && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) &&
		 X509_gmtime_adj(X509_getm_notBefore(c), -3600) &&
		 X509_gmtime_adj(X509_getm_notAfter(c), VALIDITY_DAYS * 86400) &&
		 X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) &&
		 X509_set_subject_name(c, name) && X509_set_pubkey(c, key);
	BN_free(bn);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(c);
		return NULL;
	}
	return c;
}

int tls_ca_create(const char *common_name, char **cert_pem, char **key_pem)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *c = key ? new_cert(key, common_name) : NULL;
	int r = -EIO;
	if (c && X509_set_issuer_name(c, X509_get_subject_name(c)) &&
	    add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") == 0 &&
	    add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign") == 0 &&
	    add_ext(c, c, NID_subject_key_identifier, "hash") == 0 &&
	    X509_sign(c, key, EVP_sha256())) {
		*cert_pem = cert_to_pem(c);
		*key_pem = key_to_pem(key);
		if (*cert_pem && *key_pem)
			r = 0;
		else {
			free(*cert_pem);
			tls_free_secret(*key_pem);
		}
	}
	X509_free(c);
	EVP_PKEY_free(key);
	return r;
}

static void put_ip(struct buf *b, uint32_t ip)
{
	buf_printf(b, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

int tls_issue_cert(const char *ca_cert_pem, const char *ca_key_pem, const struct tls_cert_req *q, char **cert_pem,
		   char **key_pem)
{
	if ((!q->cn && q->n_dns + q->n_ips == 0) || !(q->usage & (TLS_USAGE_SERVER | TLS_USAGE_CLIENT)))
		return -EINVAL;
	X509 *ca = pem_to_cert(ca_cert_pem);
	EVP_PKEY *ca_key = pem_to_key(ca_key_pem);
	if (!ca || !ca_key || X509_check_private_key(ca, ca_key) != 1) {
		X509_free(ca);
		EVP_PKEY_free(ca_key);
		return -EINVAL;
	}
	struct buf san, cnb;
	buf_init(&san);
	buf_init(&cnb);
	for (size_t i = 0; i < q->n_dns; i++)
		buf_printf(&san, "%sDNS:%s", san.len ? "," : "", q->dns[i]);
	for (size_t i = 0; i < q->n_ips; i++) {
		buf_puts(&san, san.len ? ",IP:" : "IP:");
		put_ip(&san, q->ips[i]);
	}
	if (q->cn)
		buf_puts(&cnb, q->cn);
	else if (q->n_dns)
		buf_puts(&cnb, q->dns[0]);
	else
		put_ip(&cnb, q->ips[0]);
	const char *eku = q->usage == (TLS_USAGE_SERVER | TLS_USAGE_CLIENT) ? "serverAuth,clientAuth"
			  : q->usage == TLS_USAGE_SERVER ? "serverAuth" : "clientAuth";

	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *c = key ? new_cert(key, cnb.data) : NULL;
	int r = -EIO;
	if (c && X509_set_issuer_name(c, X509_get_subject_name(ca)) &&
	    add_ext(c, ca, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
	    add_ext(c, ca, NID_key_usage, "critical,digitalSignature,keyEncipherment") == 0 &&
	    add_ext(c, ca, NID_ext_key_usage, eku) == 0 &&
	    add_ext(c, ca, NID_subject_key_identifier, "hash") == 0 &&
	    add_ext(c, ca, NID_authority_key_identifier, "keyid:always") == 0 &&
	    (!san.len || add_ext(c, ca, NID_subject_alt_name, san.data) == 0) &&
	    X509_sign(c, ca_key, EVP_sha256())) {
		*cert_pem = cert_to_pem(c);
		*key_pem = key_to_pem(key);
		if (*cert_pem && *key_pem)
			r = 0;
		else {
			free(*cert_pem);
			tls_free_secret(*key_pem);
		}
	}
	buf_free(&san);
	buf_free(&cnb);
	X509_free(c);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	return r;
}

int tls_server_cert(const char *ca_cert_pem, const char *ca_key_pem,
		    const char *const *dns, size_t n_dns, const uint32_t *ips, size_t n_ips,
		    char **cert_pem, char **key_pem)
{
	if (n_dns + n_ips == 0)
		return -EINVAL;
	struct tls_cert_req q = { .dns = dns, .n_dns = n_dns, .ips = ips, .n_ips = n_ips, .usage = TLS_USAGE_SERVER };
	return tls_issue_cert(ca_cert_pem, ca_key_pem, &q, cert_pem, key_pem);
}

/* -EKEYEXPIRED unless now lies inside c's validity. */
static int check_validity(const X509 *c, int64_t now, const char **why)
{
	time_t t = (time_t)now;
	int before = X509_cmp_time(X509_get0_notBefore(c), &t), after = X509_cmp_time(X509_get0_notAfter(c), &t);
	if (before == 0 || after == 0) {
		*why = "the certificate's validity dates do not parse";
		return -EBADMSG;
	}
	if (before > 0) {
		*why = "the certificate is not valid yet (check the clock)";
		return -EKEYEXPIRED;
	}
	if (after < 0) {
		*why = "the certificate has expired";
		return -EKEYEXPIRED;
	}
	return 0;
}

/* 0 if key_pem parses and is cert's key. */
static int check_key(X509 *cert, const char *key_pem, const char **why)
{
	EVP_PKEY *k = pem_to_key(key_pem);
	int r = 0;
	if (!k) {
		*why = "the private key does not parse (a PEM private key without a passphrase is needed)";
		r = -EBADMSG;
	} else if (X509_check_private_key(cert, k) != 1) {
		*why = "the private key is not the certificate's key";
		r = -EKEYREJECTED;
	}
	EVP_PKEY_free(k);
	return r;
}

int tls_check_ca(const char *ca_pem, const char *key_pem, int64_t now, const char **why)
{
	X509 *ca = pem_to_cert(ca_pem);
	EVP_PKEY *pub = ca ? X509_get0_pubkey(ca) : NULL;
	int r = 0;
	if (!ca || !pub) {
		*why = "the CA certificate does not parse";
		r = -EBADMSG;
	} else if (X509_check_ca(ca) < 1) {
		*why = "the CA certificate is not a CA certificate";
		r = -EINVAL;
	} else if (X509_verify(ca, pub) != 1) {
		*why = "the CA certificate's self-signature does not verify";
		r = -EKEYREJECTED;
	} else if ((r = check_validity(ca, now, why)) == 0 && key_pem)
		r = check_key(ca, key_pem, why);
	X509_free(ca);
	ERR_clear_error();
	return r;
}

int tls_check_cert(const char *cert_pem, const char *key_pem, const char *ca_pem, int64_t now, const char **why)
{
	X509 *c = pem_to_cert(cert_pem), *ca = NULL;
	int r = 0;
	if (!c) {
		*why = "the certificate does not parse";
		r = -EBADMSG;
	} else if (ca_pem && !(ca = pem_to_cert(ca_pem))) {
		*why = "the CA certificate does not parse";
		r = -EBADMSG;
	} else if (ca && (X509_check_issued(ca, c) != X509_V_OK || X509_verify(c, X509_get0_pubkey(ca)) != 1)) {
		*why = "the certificate is not signed by the CA";
		r = -EKEYREJECTED;
	} else if ((r = check_validity(c, now, why)) == 0 && key_pem)
		r = check_key(c, key_pem, why);
	X509_free(c);
	X509_free(ca);
	ERR_clear_error();
	return r;
}

int tls_check_usage(const char *cert_pem, unsigned usage, const char **why)
{
	X509 *c = pem_to_cert(cert_pem);
	int r = 0;
	if (!c) {
		*why = "the certificate does not parse";
		r = -EBADMSG;
	} else {
		uint32_t x = X509_get_extended_key_usage(c);
		unsigned have = ((x & XKU_SSL_SERVER) ? TLS_USAGE_SERVER : 0) | ((x & XKU_SSL_CLIENT) ? TLS_USAGE_CLIENT : 0);
		if (!(X509_get_extension_flags(c) & EXFLAG_XKUSAGE) || have != usage) {
			*why = usage == TLS_USAGE_CLIENT ? "the certificate is not made for client use (clientAuth only)"
			       : usage == TLS_USAGE_SERVER ? "the certificate is not made for server use (serverAuth only)"
							   : "the certificate is not made for server and client use";
			r = -EINVAL;
		}
	}
	X509_free(c);
	ERR_clear_error();
	return r;
}

int tls_check_names(const char *cert_pem, const char *const *dns, size_t n_dns, const uint32_t *ips, size_t n_ips,
		    const char **why)
{
	X509 *c = pem_to_cert(cert_pem);
	int r = 0;
	if (!c) {
		*why = "the certificate does not parse";
		r = -EBADMSG;
	}
	for (size_t i = 0; r == 0 && i < n_dns; i++)
		if (X509_check_host(c, dns[i], 0, X509_CHECK_FLAG_NO_WILDCARDS, NULL) != 1) {
			*why = "the certificate does not name the host (its DNS name changed)";
			r = -EKEYREJECTED;
		}
	for (size_t i = 0; r == 0 && i < n_ips; i++) {
		unsigned char ip[4] = { ips[i] >> 24, (ips[i] >> 16) & 255, (ips[i] >> 8) & 255, ips[i] & 255 };
		if (X509_check_ip(c, ip, 4, 0) != 1) {
			*why = "the certificate does not name the host's address (its address changed)";
			r = -EKEYREJECTED;
		}
	}
	X509_free(c);
	ERR_clear_error();
	return r;
}

int tls_cert_not_after(const char *cert_pem, int64_t *out)
{
	X509 *c = pem_to_cert(cert_pem);
	struct tm tm;
	int r = c && ASN1_TIME_to_tm(X509_get0_notAfter(c), &tm) == 1 ? 0 : -EBADMSG;
	if (r == 0)
		*out = (int64_t)timegm(&tm);
	X509_free(c);
	ERR_clear_error();
	return r;
}
