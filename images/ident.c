#include "images/ident.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>

void ident_bytes(const char *identity, const char *purpose, uint8_t out[16])
{
	static const char domain[] = "kiln-ident";
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 16);
	/* NUL separators keep ("ab","c") and ("a","bc") apart. */
	crypto_generichash_update(&st, (const unsigned char *)domain, sizeof domain);
	crypto_generichash_update(&st, (const unsigned char *)identity, strlen(identity) + 1);
	crypto_generichash_update(&st, (const unsigned char *)purpose, strlen(purpose) + 1);
	crypto_generichash_final(&st, out, 16);
}

void ident_guid(const char *identity, const char *purpose, uint8_t out[16])
{
	ident_bytes(identity, purpose, out);
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);   /* version 4 */
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
}

uint32_t ident_u32(const char *identity, const char *purpose)
{
	uint8_t b[16];
	ident_bytes(identity, purpose, b);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void guid_format(const uint8_t g[16], char out[GUID_STR_LEN + 1])
{
	snprintf(out, GUID_STR_LEN + 1,
		 "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7],
		 g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}
