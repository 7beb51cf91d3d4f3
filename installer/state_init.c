/* The state directory made whole, under its lock; see state_init.h. */
#include "installer/state_init.h"
#include "installer/keystore.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include <errno.h>
#include <string.h>

int state_init_run(struct state_init *s)
{
	struct state_txn t = { 0 };
	_cleanup_free_ char *roles = path_join(s->state, "roles"), *secrets = path_join(s->state, "secrets");
	int lock = -1, claim = 0, r;
	buf_init(&s->out);
	s->t = &t;
	s->changed = s->refused = 0;
	if ((r = keystore_prepare_dir(s->state)) < 0 || (r = lock = state_lock(s->state, STATE_LOCK_WAIT_MS)) < 0)
		goto done;
	/* another deployment's directory is refused even with --force: its
	 * secrets would stay and be shipped under this deployment's name */
	if ((r = claim = keystore_check_owner(s->state, s->m->name, s->profile, true)) < 0 ||
	    ((s->what & STATE_INIT_KEYS) && (r = keystore_prepare_dir(roles)) < 0) ||
	    ((s->what & STATE_INIT_SECRETS) && (r = keystore_prepare_dir(secrets)) < 0) ||
	    (r = state_txn_begin(&t, s->state)) < 0)
		goto done;
	if (claim && (r = state_txn_put(&t, "deployment", s->m->name, strlen(s->m->name), 0644)) < 0)
		goto done;
	s->changed += claim;
	if (((s->what & STATE_INIT_KEYS) && (r = state_init_keys(s)) < 0) ||
	    ((s->what & STATE_INIT_SECRETS) && (r = state_init_secrets(s)) < 0))
		goto done;
	if (s->refused) {
		r = -EBADMSG;   /* each said what is broken and how to repair it; nothing is written */
		goto done;
	}
	r = state_txn_commit(&t);
done:
	state_txn_abort(&t);
	state_unlock(lock);
	s->t = NULL;
	return r;
}
