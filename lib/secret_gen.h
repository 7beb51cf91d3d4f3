/* Generated secret values (libsodium's RNG), by kind (profiles/secrets_catalog.h):
 *   password    32 random bytes as URL-safe base64 without padding (43 chars)
 *   access key  20 characters [A-Z0-9], uniformly drawn
 * TLS keys come from lib/tls_ca.h. The returned string is sodium_malloc'd:
 * free with secret_value_free (wipes). */
#ifndef KILN_SECRET_GEN_H
#define KILN_SECRET_GEN_H
#include <stddef.h>

char *secret_gen_password(void);
char *secret_gen_access_key(void);
void secret_value_free(char *v);

/* The least content a stored value of that kind must have (kiln's own values
 * always pass; an operator may put their own): a password 16-256 characters
 * of [A-Za-z0-9_-], an access key 16-128 of [A-Z0-9]; nothing else, not even
 * a trailing newline. NULL if v is acceptable, else a static sentence saying
 * what is wrong (never the value). v is NUL-terminated at len. */
const char *secret_password_problem(const char *v, size_t len);
const char *secret_access_key_problem(const char *v, size_t len);
/* A value the operator brings (an external S3 endpoint's keys, which kiln
 * cannot make): 3-256 printable ASCII characters, no space or newline. */
const char *secret_external_problem(const char *v, size_t len);
#endif
