/* The operator's state directory (installer/state.h says where): keys and
 * secrets, each in its own file. Layout and modes (docs/keys-and-seeds.md):
 *   <state>/                 0700
 *   deployment               the deployment name (public)
 *   operator.key  0600       minisign secret key (unencrypted)
 *   operator.pub             minisign public key
 *   roles/<role>.key 0600    X25519 secret key; roles/<role>.pub public
 *   secrets/NAME  0600       one secret value per file (dir 0700)
 *   serial                   last seed serial issued
 *   ca.pem, ca.key 0600, tls_cert.pem
 * Every loader of a private file refuses one that group/others can read and
 * says how to fix it. All functions log their own errors and return 0/-errno. */
#ifndef KILN_KEYSTORE_H
#define KILN_KEYSTORE_H
#include <stddef.h>
#include <stdint.h>
#include "lib/minisign.h"
#include "lib/rolekey.h"

/* The state dir must exist and be private. */
int keystore_check_dir(const char *state);
/* Create a private directory (0700, with parents) or check an existing one. */
int keystore_prepare_dir(const char *dir);
/* Read a private (0600) file; *data is sodium_malloc'd and NUL-terminated:
 * free with keystore_free_private. */
int keystore_read_private(const char *path, char **data, size_t *len);
void keystore_free_private(char *data);

int keystore_load_operator_key(const char *state, struct minisign_key **out);
int keystore_load_operator_pub(const char *state, struct minisign_pub *out);
int keystore_load_pub_file(const char *path, struct minisign_pub *out);
int keystore_load_role_key(const char *state, const char *role, struct role_keypair **out);
int keystore_load_role_pub(const char *state, const char *role, uint8_t pk[32]);
/* The deployment name recorded by `kiln keys init`; malloc'd. */
int keystore_deployment(const char *state, char **out);
#endif
