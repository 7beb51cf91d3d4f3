/* lib/tls_ca.c: the CA and server certificates it makes, and the consistency
 * checks of a CA / certificate / key set (signature, key match, validity). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/tls_ca.h"

#define YEAR (365LL * 86400)

static X509 *parse(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *c = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	return c;
}

static EVP_PKEY *parse_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	return k;
}

static char *bio_text(BIO *b)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *s = strndup(p, (size_t)n);
	BIO_free(b);
	return s;
}

static void test_ca_and_server_cert(void **state)
{
	(void)state;
	char *ca, *ca_key, *cert, *key, *ca2, *ca2_key;
	assert_int_equal(tls_ca_create("kiln test CA", &ca, &ca_key), 0);
	assert_non_null(strstr(ca_key, "-----BEGIN PRIVATE KEY-----"));
	const char *dns[] = { "app1.demo.internal" };
	uint32_t ips[] = { 0x0a00000a };
	assert_int_equal(tls_server_cert(ca, ca_key, dns, 1, ips, 1, &cert, &key), 0);
	X509 *c = parse(cert), *cac = parse(ca);
	assert_non_null(c);
	assert_non_null(cac);
	/* signed by the CA, names and address match, not a CA itself */
	EVP_PKEY *capub = X509_get_pubkey(cac);
	assert_int_equal(X509_verify(c, capub), 1);
	assert_int_equal(X509_check_host(c, "app1.demo.internal", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(c, "evil.example", 0, 0, NULL), 0);
	assert_int_equal(X509_check_ip_asc(c, "10.0.0.10", 0), 1);
	assert_int_equal(X509_check_ca(c), 0);
	assert_true(X509_check_ca(cac) >= 1);
	EVP_PKEY_free(capub);
	X509_free(c);
	X509_free(cac);
	free(cert);
	tls_free_secret(key);
	/* a CA key that does not match the CA certificate is refused */
	assert_int_equal(tls_ca_create("other", &ca2, &ca2_key), 0);
	assert_int_equal(tls_server_cert(ca, ca2_key, dns, 1, NULL, 0, &cert, &key), -EINVAL);
	assert_int_equal(tls_server_cert(ca, "not a pem", dns, 1, NULL, 0, &cert, &key), -EINVAL);
	assert_int_equal(tls_server_cert(ca, ca_key, NULL, 0, NULL, 0, &cert, &key), -EINVAL);
	free(ca);
	free(ca2);
	tls_free_secret(ca_key);
	tls_free_secret(ca2_key);
}

/* Two CAs with the same name, a certificate from the first. */
struct set {
	char *ca, *ca_key, *ca2, *ca2_key, *cert, *key;
};

static int set_up(void **state)
{
	struct set *s = calloc(1, sizeof *s);
	const char *dns[] = { "app1.acme.internal" };
	if (tls_ca_create("kiln acme deployment CA", &s->ca, &s->ca_key) < 0 ||
	    tls_ca_create("kiln acme deployment CA", &s->ca2, &s->ca2_key) < 0 ||
	    tls_server_cert(s->ca, s->ca_key, dns, 1, NULL, 0, &s->cert, &s->key) < 0)
		return -1;
	*state = s;
	return 0;
}

static int tear_down(void **state)
{
	struct set *s = *state;
	free(s->ca);
	free(s->ca2);
	free(s->cert);
	tls_free_secret(s->ca_key);
	tls_free_secret(s->ca2_key);
	tls_free_secret(s->key);
	free(s);
	return 0;
}

static void test_check_ca(void **state)
{
	struct set *s = *state;
	int64_t now = time(NULL);
	const char *why = NULL;
	assert_int_equal(tls_check_ca(s->ca, s->ca_key, now, &why), 0);
	assert_int_equal(tls_check_ca(s->ca, NULL, now, &why), 0);
	/* the key of another CA (same name) */
	assert_int_equal(tls_check_ca(s->ca, s->ca2_key, now, &why), -EKEYREJECTED);
	assert_string_equal(why, "the private key is not the certificate's key");
	/* validity: 10 years from an hour ago */
	assert_int_equal(tls_check_ca(s->ca, s->ca_key, now + 11 * YEAR, &why), -EKEYEXPIRED);
	assert_string_equal(why, "the certificate has expired");
	assert_int_equal(tls_check_ca(s->ca, s->ca_key, now + 9 * YEAR, &why), 0);
	assert_int_equal(tls_check_ca(s->ca, s->ca_key, now - 86400, &why), -EKEYEXPIRED);
	assert_non_null(strstr(why, "not valid yet"));
	/* a server certificate is no CA; garbage does not parse */
	assert_int_equal(tls_check_ca(s->cert, s->key, now, &why), -EINVAL);
	assert_int_equal(tls_check_ca("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", NULL, now, &why),
			 -EBADMSG);
	assert_int_equal(tls_check_ca("", NULL, now, &why), -EBADMSG);
	assert_int_equal(tls_check_ca(s->ca, "not a key", now, &why), -EBADMSG);
	assert_non_null(strstr(why, "does not parse"));

	/* a CA certificate re-signed by another key: its self-signature fails */
	X509 *c = parse(s->ca);
	EVP_PKEY *k2 = parse_key(s->ca2_key);
	assert_true(X509_sign(c, k2, EVP_sha256()) > 0);
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, c);
	char *forged = bio_text(b);
	assert_int_equal(tls_check_ca(forged, NULL, now, &why), -EKEYREJECTED);
	assert_non_null(strstr(why, "self-signature"));
	free(forged);
	X509_free(c);

	/* a passphrase-protected key is refused (never prompted for) */
	b = BIO_new(BIO_s_mem());
	EVP_PKEY *k = parse_key(s->ca_key);
	PEM_write_bio_PrivateKey(b, k, EVP_aes_256_cbc(), (unsigned char *)"pass phrase", 11, NULL, NULL);
	char *enc = bio_text(b);
	assert_non_null(strstr(enc, "ENCRYPTED"));
	assert_int_equal(tls_check_ca(s->ca, enc, now, &why), -EBADMSG);
	free(enc);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

static void test_check_cert(void **state)
{
	struct set *s = *state;
	int64_t now = time(NULL);
	const char *why = NULL;
	assert_int_equal(tls_check_cert(s->cert, s->key, s->ca, now, &why), 0);
	assert_int_equal(tls_check_cert(s->cert, NULL, NULL, now, &why), 0);
	/* not signed by this CA, though it has the same name */
	assert_int_equal(tls_check_cert(s->cert, s->key, s->ca2, now, &why), -EKEYREJECTED);
	assert_string_equal(why, "the certificate is not signed by the CA");
	/* a key that is not the certificate's */
	assert_int_equal(tls_check_cert(s->cert, s->ca_key, s->ca, now, &why), -EKEYREJECTED);
	assert_string_equal(why, "the private key is not the certificate's key");
	assert_int_equal(tls_check_cert(s->cert, s->key, s->ca, now + 11 * YEAR, &why), -EKEYEXPIRED);
	assert_int_equal(tls_check_cert(s->cert, s->key, s->ca, now - 86400, &why), -EKEYEXPIRED);
	assert_int_equal(tls_check_cert("junk", s->key, s->ca, now, &why), -EBADMSG);
	assert_int_equal(tls_check_cert(s->cert, s->key, "junk", now, &why), -EBADMSG);
	assert_string_equal(why, "the CA certificate does not parse");
	assert_int_equal(tls_check_cert(s->cert, "", s->ca, now, &why), -EBADMSG);
	/* the CA certificate itself is not issued by the other CA */
	assert_int_equal(tls_check_cert(s->ca, s->ca_key, s->ca2, now, &why), -EKEYREJECTED);
}

/* Certificates for a use: server, client, both; their names; their expiry. */
static void test_issue_for_use(void **state)
{
	struct set *s = *state;
	const char *why = NULL;
	const char *dns[] = { "db1.acme.internal", "db1" };
	uint32_t ip = 0xc0a828d2;   /* 192.168.40.210 */
	struct tls_cert_req server = { .cn = "db1.acme.internal", .dns = dns, .n_dns = 2, .ips = &ip, .n_ips = 1,
				       .usage = TLS_USAGE_SERVER };
	struct tls_cert_req client = { .cn = "kiln prometheus acme", .usage = TLS_USAGE_CLIENT };
	struct tls_cert_req both = { .dns = dns, .n_dns = 1, .usage = TLS_USAGE_SERVER | TLS_USAGE_CLIENT };
	char *c1, *k1, *c2, *k2, *c3, *k3;
	assert_int_equal(tls_issue_cert(s->ca, s->ca_key, &server, &c1, &k1), 0);
	assert_int_equal(tls_issue_cert(s->ca, s->ca_key, &client, &c2, &k2), 0);
	assert_int_equal(tls_issue_cert(s->ca, s->ca_key, &both, &c3, &k3), 0);
	assert_int_equal(tls_check_cert(c2, k2, s->ca, time(NULL), &why), 0);
	/* the extended key usage says what each is for, and nothing more */
	assert_int_equal(tls_check_usage(c1, TLS_USAGE_SERVER, &why), 0);
	assert_int_equal(tls_check_usage(c1, TLS_USAGE_CLIENT, &why), -EINVAL);
	assert_non_null(strstr(why, "client use"));
	assert_int_equal(tls_check_usage(c2, TLS_USAGE_CLIENT, &why), 0);
	assert_int_equal(tls_check_usage(c2, TLS_USAGE_SERVER, &why), -EINVAL);
	assert_int_equal(tls_check_usage(c3, TLS_USAGE_SERVER | TLS_USAGE_CLIENT, &why), 0);
	assert_int_equal(tls_check_usage(c3, TLS_USAGE_SERVER, &why), -EINVAL);
	assert_int_equal(tls_check_usage(s->ca, TLS_USAGE_SERVER, &why), -EINVAL);   /* a CA has no EKU */
	assert_int_equal(tls_check_usage("junk", TLS_USAGE_SERVER, &why), -EBADMSG);
	/* names: the server certificate names the host and its address */
	assert_int_equal(tls_check_names(c1, dns, 2, &ip, 1, &why), 0);
	uint32_t other = ip + 1;
	assert_int_equal(tls_check_names(c1, dns, 2, &other, 1, &why), -EKEYREJECTED);
	assert_non_null(strstr(why, "address changed"));
	const char *db2[] = { "db2.acme.internal" };
	assert_int_equal(tls_check_names(c1, db2, 1, NULL, 0, &why), -EKEYREJECTED);
	assert_non_null(strstr(why, "DNS name changed"));
	assert_int_equal(tls_check_names(c2, NULL, 0, NULL, 0, &why), 0);
	X509 *x = parse(c2);
	char cn[64];
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
	assert_string_equal(cn, "kiln prometheus acme");
	X509_free(x);
	/* expiry: 10 years from an hour ago */
	int64_t t = 0, now = time(NULL);
	assert_int_equal(tls_cert_not_after(c1, &t), 0);
	assert_true(t > now + 3649 * 86400LL && t < now + 3651 * 86400LL);
	assert_int_equal(tls_cert_not_after("junk", &t), -EBADMSG);
	/* a request without any name or use is refused */
	struct tls_cert_req none = { .usage = TLS_USAGE_SERVER }, nouse = { .cn = "x" };
	char *c, *k;
	assert_int_equal(tls_issue_cert(s->ca, s->ca_key, &none, &c, &k), -EINVAL);
	assert_int_equal(tls_issue_cert(s->ca, s->ca_key, &nouse, &c, &k), -EINVAL);
	assert_int_equal(tls_issue_cert(s->ca, s->ca2_key, &client, &c, &k), -EINVAL);
	free(c1);
	free(c2);
	free(c3);
	tls_free_secret(k1);
	tls_free_secret(k2);
	tls_free_secret(k3);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ca_and_server_cert),
		cmocka_unit_test_setup_teardown(test_check_ca, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_check_cert, set_up, tear_down),
		cmocka_unit_test_setup_teardown(test_issue_for_use, set_up, tear_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
