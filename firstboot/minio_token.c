/* See minio_token.h. */
#include "firstboot/minio_token.h"
#include "lib/b64.h"
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <string.h>

int minio_token(const char *access_key, const char *secret_key, int64_t now, struct buf *out)
{
	static const char header[] = "{\"alg\":\"HS512\",\"typ\":\"JWT\"}";
	if (!*access_key || strspn(access_key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") !=
			    strlen(access_key))
		return -EINVAL;
	struct buf claims, signing;
	buf_init(&claims);
	buf_init(&signing);
	/* The order golang-jwt's StandardClaims marshals: exp, iss, sub. */
	buf_printf(&claims, "{\"exp\":%" PRId64 ",\"iss\":\"prometheus\",\"sub\":\"%s\"}", now + MINIO_TOKEN_LIFETIME,
		   access_key);
	b64url_append(&signing, header, strlen(header));
	buf_putc(&signing, '.');
	b64url_append(&signing, claims.data, claims.len);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0;
	int r = HMAC(EVP_sha512(), secret_key, (int)strlen(secret_key), (const unsigned char *)signing.data, signing.len,
		     mac, &mac_len) ? 0 : -EIO;
	if (r == 0) {
		buf_append(out, signing.data, signing.len);
		buf_putc(out, '.');
		b64url_append(out, mac, mac_len);
	}
	sodium_memzero(mac, sizeof mac);
	buf_free(&claims);
	buf_free(&signing);
	return r;
}
