#include "lib/secret_gen.h"
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *secure_alloc(size_t n)
{
	char *p = sodium_malloc(n);
	if (!p)
		abort();
	return p;
}

char *secret_gen_password(void)
{
	uint8_t raw[32];
	size_t n = sodium_base64_encoded_len(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *v = secure_alloc(n);
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(v, n, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	return v;
}

char *secret_gen_access_key(void)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char *v = secure_alloc(21);
	for (int i = 0; i < 20; i++)
		v[i] = alphabet[randombytes_uniform(36)];
	v[20] = '\0';
	return v;
}

void secret_value_free(char *v)
{
	if (v)
		sodium_free(v);
}
