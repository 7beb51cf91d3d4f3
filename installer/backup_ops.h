/* What `kiln backup list|verify|restore --from DIR` do and print, over
 * lib/backup_local.h. Each returns 0 or -errno and has logged (stderr) every
 * object it refused, by name; results go to stdout. */
#ifndef KILN_BACKUP_OPS_H
#define KILN_BACKUP_OPS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/rolekey.h"
#include "profiles/model.h"

/* Every object's header (no key): a line each, or with json one object
 * {"objects":[...],"refused":[...]}. -EBADMSG if any was refused. */
int backup_list(const char *dir, bool json);
/* Authenticates every object (or the n named ones) in memory, writing no
 * plaintext anywhere; -EBADMSG if any was refused or none was found. */
int backup_verify(const char *dir, const struct role_keypair *key, char *const *names, size_t n);
/* Decrypts one object to out (backup_restore_target): whole or not at all.
 * With extract: into mbstream -x as it is decrypted, out the directory it
 * extracts into (new, or empty), made only if the whole object authenticated
 * and mbstream exited 0 (lib/backup_local.h's backup_extract_fd). */
int backup_restore(const char *dir, const struct role_keypair *key, const char *name, const char *out, bool extract);
/* Point-in-time restore of host to target (lib/backup_pitr.h: PITR_LATEST
 * or unix seconds) into out/data: out must not exist; it is made 0700. The
 * binary logs are replayed into a temporary mariadbd on the restored
 * directory (no network, its socket in out's private work directory),
 * stopped afterwards. On failure out is removed. */
int backup_restore_pitr(const char *dir, const struct role_keypair *key, const char *host, int64_t target, const char *out);
/* kiln backup prune: for each MySQL primary with backups, the objects
 * backup.keep_days no longer needs (lib/backup_pitr.h's backup_prune_plan)
 * deleted from the bucket with the object store's admin credential
 * (minio_root_user/_password in the state directory: the hosts' keys may
 * not delete) at endpoint (NULL: the profile's MinIO host, port 9000). A
 * line per object on stdout; with dry_run nothing is deleted. */
int backup_prune(const struct model *m, const char *state, const char *endpoint, bool dry_run);
#endif
