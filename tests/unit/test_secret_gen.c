/* lib/secret_gen.c and lib/tls_ca.c: value formats, CA/server certificates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "lib/secret_gen.h"
#include "lib/tls_ca.h"

static void test_password_and_access_key(void **state)
{
	(void)state;
	char *a = secret_gen_password(), *b = secret_gen_password(), *k = secret_gen_access_key();
	assert_int_equal(strlen(a), 43);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	assert_string_not_equal(a, b);
	assert_int_equal(strlen(k), 20);
	assert_int_equal(strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), 20);
	secret_value_free(a);
	secret_value_free(b);
	secret_value_free(k);
}

static X509 *parse(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *c = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	return c;
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

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_and_access_key),
		cmocka_unit_test(test_ca_and_server_cert),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
