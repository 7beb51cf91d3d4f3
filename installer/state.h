/* The operator's state directory (docs/keys-and-seeds.md, "State directory
 * rules"): where it is, the lock every command that uses it takes, and the
 * transactions that change several of its files as one unit.
 * Default place: .kiln/<deployment>/ beside the profile; --state DIR
 * overrides. The directory is 0700 and every key/secret file 0600. */
#ifndef KILN_STATE_H
#define KILN_STATE_H
#include <stddef.h>
#include <sys/types.h>

/* Returns a malloc'd path: state_opt if given, else <dir of profile>/.kiln/<deployment>. */
char *state_dir_resolve(const char *state_opt, const char *profile_path, const char *deployment);

/* How long a command waits for another one's lock before giving up. */
#define STATE_LOCK_WAIT_MS 60000

/* Takes <state>/lock (flock, exclusive; the directory must exist). If another
 * process holds it, says once that it waits and for which pid, and fails with
 * -ETIMEDOUT after wait_ms. With the lock held, finishes a transaction that a
 * crash interrupted after its commit point, or drops one interrupted before.
 * Returns the lock's fd (release with state_unlock) or -errno, logged. The
 * lock is the process's: a second state_lock in the same process waits too. */
int state_lock(const char *state, int wait_ms);
void state_unlock(int fd);

/* A transaction, under the lock: each file is staged in <state>/.txn/ (written,
 * fsynced); commit writes .txn/COMMIT, the list of staged files (the commit
 * point), renames each into place and removes .txn. A crash before COMMIT
 * leaves the old files; after it, the next state_lock completes the renames.
 * Paths are relative to the state directory: "ca.pem", "roles/app.key". */
struct state_txn {
	char *state, *dir;
	char **paths;
	size_t n, cap;
	int err;             /* first staging error; commit returns it */
};
int state_txn_begin(struct state_txn *t, const char *state);
/* Logs its error; the transaction then only aborts. */
int state_txn_put(struct state_txn *t, const char *path, const void *data, size_t len, mode_t mode);
/* Is path staged in t? */
int state_txn_has(const struct state_txn *t, const char *path);
/* Commit (0 or -errno, logged) or drop the staged files; both free t. */
int state_txn_commit(struct state_txn *t);
void state_txn_abort(struct state_txn *t);

/* The two halves of commit, apart for tests that stop between them:
 * seal writes the commit point, state_txn_finish moves a sealed transaction's
 * files into place (what state_lock does after a crash) or drops an
 * unsealed one; 0 or -errno, logged. */
int state_txn_seal(struct state_txn *t);
int state_txn_finish(const char *state);
#endif
