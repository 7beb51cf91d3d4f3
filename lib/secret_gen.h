/* Generated secret values (libsodium's RNG), by kind (profiles/secrets_catalog.h):
 *   password    32 random bytes as URL-safe base64 without padding (43 chars)
 *   access key  20 characters [A-Z0-9], uniformly drawn
 * TLS keys come from lib/tls_ca.h. The returned string is sodium_malloc'd:
 * free with secret_value_free (wipes). */
#ifndef KILN_SECRET_GEN_H
#define KILN_SECRET_GEN_H
char *secret_gen_password(void);
char *secret_gen_access_key(void);
void secret_value_free(char *v);
#endif
