/* Per-role X25519 key pairs (crypto_box), the recipients of sealed seeds.
 * Files, two lines each like minisign's:
 *   <role>.pub  "untrusted comment: kiln role public key <role>\n" base64("KX" || pk(32)) "\n"
 *   <role>.key  "untrusted comment: kiln role secret key <role>\n" base64("KX" || pk(32) || sk(32)) "\n"
 * Parsers are strict (-EBADMSG); a .key whose halves do not match is refused.
 * The operator's backup key pair (lib/backup_object.h, docs/backup.md) is the
 * same kind of key in the same layout, tag "KB" for "KX" and comments
 * "kiln backup public|secret key <deployment>": neither is taken for the other. */
#ifndef KILN_ROLEKEY_H
#define KILN_ROLEKEY_H
#include <stddef.h>
#include <stdint.h>
#include "lib/buf.h"

/* sodium_malloc'd; free with role_keypair_free (wipes). */
struct role_keypair {
	uint8_t pk[32];
	uint8_t sk[32];
};

struct role_keypair *role_keypair_new(void);
void role_keypair_free(struct role_keypair *k);
void role_pub_format(const char *role, const uint8_t pk[32], struct buf *out);
void role_key_format(const char *role, const struct role_keypair *k, struct buf *out);  /* secret: buf_wipe */
int role_pub_parse(const char *text, size_t len, uint8_t pk[32]);
int role_key_parse(const char *text, size_t len, struct role_keypair **out);

/* backup.pub / backup.key in the state directory; the pair is a role_keypair. */
void backup_pub_format(const char *deployment, const uint8_t pk[32], struct buf *out);
void backup_key_format(const char *deployment, const struct role_keypair *k, struct buf *out);  /* secret: buf_wipe */
int backup_pub_parse(const char *text, size_t len, uint8_t pk[32]);
int backup_key_parse(const char *text, size_t len, struct role_keypair **out);
#endif
