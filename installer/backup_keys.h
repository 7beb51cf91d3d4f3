/* The operator's backup key pair in the state directory (docs/backup.md):
 *   backup.key  0600  X25519 key pair (lib/rolekey.h's layout, tag "KB")  } one unit
 *   backup.pub  0644  its public half: what MySQL primaries seal backups to }
 * Made once and never replaced by kiln: every object sealed to it needs its
 * secret half to be read. Everything here logs its errors. */
#ifndef KILN_BACKUP_KEYS_H
#define KILN_BACKUP_KEYS_H
#include "lib/rolekey.h"

/* `kiln backup keys init`: in an existing state directory (made by `kiln
 * keys init`) of deployment (NULL: the directory's own), under the state
 * lock, in one transaction. Refuses a directory that already holds either
 * file (-EEXIST whole, -EBADMSG partial). Prints "backup key ID: created (...)". */
int backup_keys_init(const char *state, const char *profile, const char *deployment);

/* The secret key for reading objects: from the state directory (the pair
 * checked whole: the public half there and matching; deployment as above),
 * or from a key file kept elsewhere (0600, a backup secret key). */
int backup_key_load_state(const char *state, const char *profile, const char *deployment, struct role_keypair **key);
int backup_key_load_file(const char *path, struct role_keypair **key);
#endif
