#include "lib/secret_gen.h"
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define UPPER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

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
	static const char alphabet[] = UPPER_DIGITS;
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

static const char *charset_problem(const char *v, size_t len, size_t min, size_t max, const char *set,
				   const char *rule)
{
	if (len == 0)
		return "it is empty";
	if (len < min || len > max || strspn(v, set) != len)
		return rule;
	return NULL;
}

const char *secret_password_problem(const char *v, size_t len)
{
	return charset_problem(v, len, 16, 256, UPPER_DIGITS "abcdefghijklmnopqrstuvwxyz_-",
			       "a password must be 16 to 256 characters of A-Z a-z 0-9 _ - (no space or newline)");
}

const char *secret_access_key_problem(const char *v, size_t len)
{
	return charset_problem(v, len, 16, 128, UPPER_DIGITS,
			       "an access key must be 16 to 128 characters of A-Z 0-9 (no space or newline)");
}

const char *secret_external_problem(const char *v, size_t len)
{
	static const char *const rule = "a key given by the S3 provider must be 3 to 256 printable ASCII characters "
					"(no space or newline)";
	if (len == 0)
		return "it is empty";
	if (len < 3 || len > 256)
		return rule;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e)
			return rule;
	return NULL;
}
