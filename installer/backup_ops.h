/* What `kiln backup list|verify|restore --from DIR` do and print, over
 * lib/backup_local.h. Each returns 0 or -errno and has logged (stderr) every
 * object it refused, by name; results go to stdout. */
#ifndef KILN_BACKUP_OPS_H
#define KILN_BACKUP_OPS_H
#include <stdbool.h>
#include <stddef.h>
#include "lib/rolekey.h"

/* Every object's header (no key): a line each, or with json one object
 * {"objects":[...],"refused":[...]}. -EBADMSG if any was refused. */
int backup_list(const char *dir, bool json);
/* Authenticates every object (or the n named ones) in memory, writing no
 * plaintext anywhere; -EBADMSG if any was refused or none was found. */
int backup_verify(const char *dir, const struct role_keypair *key, char *const *names, size_t n);
/* Decrypts one object to out (backup_restore_target): whole or not at all. */
int backup_restore(const char *dir, const struct role_keypair *key, const char *name, const char *out);
#endif
