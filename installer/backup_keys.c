/* The operator's backup key pair; see backup_keys.h. */
#include "installer/backup_keys.h"
#include "installer/keystore.h"
#include "installer/state.h"
#include "lib/backup_object.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define KEY_FILE "backup.key"
#define PUB_FILE "backup.pub"

/* The directory checked, locked and its owner known: *deployment is
 * malloc'd. Returns the lock fd or -errno (logged). */
static int open_state(const char *state, const char *profile, const char *want, char **deployment)
{
	int r = keystore_check_dir(state), lock;
	if (r < 0)
		return r;
	if ((lock = state_lock(state, STATE_LOCK_WAIT_MS)) < 0)
		return lock;
	r = want ? keystore_check_owner(state, want, profile, false) : keystore_deployment(state, deployment);
	if (r < 0) {
		state_unlock(lock);
		return r;
	}
	if (want)
		*deployment = xstrdup(want);
	return lock;
}

int backup_keys_init(const char *state, const char *profile, const char *want)
{
	_cleanup_free_ char *deployment = NULL;
	_cleanup_free_ char *kp = path_join(state, KEY_FILE), *pp = path_join(state, PUB_FILE);
	int lock = open_state(state, profile, want, &deployment);
	if (lock < 0)
		return lock;
	bool hk = access(kp, F_OK) == 0, hp = access(pp, F_OK) == 0;
	int r;
	if (hk && hp)
		r = log_error_errno(EEXIST, "%s already holds a backup key (%s); refusing to overwrite it: every backup "
				    "sealed to it would become unreadable", state, pp);
	else if (hk || hp)
		r = log_error_errno(EBADMSG, "%s exists without %s; refusing to touch a partial backup key pair (move it "
				    "away only if the secret key is truly lost: backups sealed to it stay unreadable)",
				    hk ? kp : pp, hk ? pp : kp);
	else {
		struct role_keypair *k = role_keypair_new();
		struct buf key, pub;
		struct state_txn t = { 0 };
		buf_init(&key);
		buf_init(&pub);
		backup_key_format(deployment, k, &key);
		backup_pub_format(deployment, k->pk, &pub);
		uint8_t id[BACKUP_KEY_ID_BYTES];
		char hex[2 * BACKUP_KEY_ID_BYTES + 1];
		backup_key_id(k->pk, id);
		backup_key_id_hex(id, hex);
		role_keypair_free(k);
		if ((r = state_txn_begin(&t, state)) == 0 && (r = state_txn_put(&t, KEY_FILE, key.data, key.len, 0600)) == 0 &&
		    (r = state_txn_put(&t, PUB_FILE, pub.data, pub.len, 0644)) == 0)
			r = state_txn_commit(&t);
		state_txn_abort(&t);
		buf_wipe(&key);
		buf_free(&pub);
		if (r == 0)
			printf("backup key %s: created (%s; keep a copy of %s off this machine: without it no backup "
			       "can be read)\n", hex, pp, kp);
	}
	state_unlock(lock);
	return r;
}

int backup_key_load_file(const char *path, struct role_keypair **key)
{
	char *t = NULL;
	size_t n;
	int r = keystore_read_private(path, &t, &n);   /* logs */
	if (r < 0)
		return r;
	r = backup_key_parse(t, n, key);
	keystore_free_private(t);
	if (r < 0)
		return log_error_errno(r, "%s is not a kiln backup secret key", path);
	return 0;
}

/* The public half beside it must be there and match. */
static int check_pub(const char *pp, const char *kp, const struct role_keypair *k)
{
	_cleanup_free_ char *t = NULL;
	size_t n;
	uint8_t pk[32];
	if (access(pp, F_OK) != 0)
		return log_error_errno(EBADMSG, "%s exists without %s; write it again from the secret key or restore it "
				       "from your copy", kp, pp);
	int r = read_file(pp, 4096, &t, &n);
	if (r < 0)
		return log_error_errno(r, "cannot read %s", pp);
	if (backup_pub_parse(t, n, pk) < 0)
		return log_error_errno(EBADMSG, "%s is not a kiln backup public key", pp);
	if (sodium_memcmp(pk, k->pk, 32) != 0)
		return log_error_errno(EBADMSG, "%s does not match %s", pp, kp);
	return 0;
}

int backup_key_load_state(const char *state, const char *profile, const char *want, struct role_keypair **key)
{
	_cleanup_free_ char *deployment = NULL;
	_cleanup_free_ char *kp = path_join(state, KEY_FILE), *pp = path_join(state, PUB_FILE);
	int lock = open_state(state, profile, want, &deployment), r;
	if (lock < 0)
		return lock;
	*key = NULL;
	if (access(kp, F_OK) != 0)
		r = log_error_errno(ENOENT, "%s holds no backup key (%s); run 'kiln backup keys init %s%s' (or give "
				    "--key FILE)", state, kp, profile ? "" : "--state ", profile ? profile : state);
	else if ((r = backup_key_load_file(kp, key)) == 0 && (r = check_pub(pp, kp, *key)) < 0) {
		role_keypair_free(*key);
		*key = NULL;
	}
	state_unlock(lock);
	return r;
}
