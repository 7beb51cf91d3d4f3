/* kiln keys init PROFILE: the operator's minisign key and one X25519 key per
 * role the profile uses, in the deployment's private state directory; all
 * written in one transaction under the state lock (installer/state.h). */
#include "installer/commands.h"
#include "installer/keystore.h"
#include "installer/profile_state.h"
#include "installer/state.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/minisign.h"
#include "lib/rolekey.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void keys_usage(FILE *f)
{
	fprintf(f, "Usage: kiln keys init PROFILE [--state DIR] [--force | --repair]\n\n"
		   "Create the deployment's operator signing key (minisign format) and one X25519\n"
		   "key per role the profile uses, in the state directory (default\n"
		   "<profile dir>/.kiln/<deployment>/, mode 0700; secret keys 0600).\n"
		   "Existing keys are kept; keys missing for newly used roles are added. A broken\n"
		   "pair (a half missing, halves that do not match) is refused until --repair.\n\n"
		   "  --state DIR   state directory\n"
		   "  --force       replace existing keys (images and seeds made with the old\n"
		   "                keys stop working)\n"
		   "  --repair      mend broken pairs: a public half is written again from its\n"
		   "                secret key; a pair whose secret key is lost or unreadable is\n"
		   "                replaced (rebuild that role's image and seeds)\n");
}

/* Stage a key pair: the secret key 0600, its public half 0644. */
static int put_pair(struct state_txn *t, const char *key_path, struct buf *key, const char *pub_path,
		    const struct buf *pub)
{
	int r = state_txn_put(t, key_path, key->data, key->len, 0600);
	if (r == 0)
		r = state_txn_put(t, pub_path, pub->data, pub->len, 0644);
	return r;
}

static int put_operator(struct state_txn *t, const struct minisign_key *k, char id[17])
{
	struct minisign_pub p;
	struct buf key, pub;
	buf_init(&key);
	buf_init(&pub);
	minisign_key_public(k, &p);
	minisign_key_format(k, &key);
	minisign_pub_format(&p, &pub);
	minisign_keyid(p.keynum, id);
	int r = put_pair(t, "operator.key", &key, "operator.pub", &pub);
	buf_wipe(&key);
	buf_free(&pub);
	return r;
}

static int put_role(struct state_txn *t, const char *role, const struct role_keypair *k)
{
	char *kp = xasprintf("roles/%s.key", role), *pp = xasprintf("roles/%s.pub", role);
	struct buf key, pub;
	buf_init(&key);
	buf_init(&pub);
	role_key_format(role, k, &key);
	role_pub_format(role, k->pk, &pub);
	int r = put_pair(t, kp, &key, pp, &pub);
	buf_wipe(&key);
	buf_free(&pub);
	free(kp);
	free(pp);
	return r;
}

/* What keys init does with one pair, from its check and the options. */
enum pair_action { PAIR_KEEP, PAIR_CREATE, PAIR_REWRITE_PUB, PAIR_REFUSE };

static enum pair_action decide(int status, bool have_key, bool force, bool repair)
{
	if (force || status == KS_MISSING)
		return PAIR_CREATE;
	if (status == KS_OK)
		return PAIR_KEEP;
	if (!repair)
		return PAIR_REFUSE;
	return have_key ? PAIR_REWRITE_PUB : PAIR_CREATE;
}

static const char *created_word(int status)
{
	return status == KS_BAD ? "replaced (repair)" : "created";
}

/* The operator pair: kept, created or mended, said in *out; -errno if
 * refused or failed (logged). */
static int do_operator(const char *profile, const char *state, struct state_txn *t, bool force, bool repair,
		       struct buf *out, int *changed)
{
	struct minisign_key *k = NULL;
	struct ks_problem pb = { 0 };
	char id[17];
	int st = keystore_operator_pair(state, &k, &pb), r = 0;
	if (st < 0)
		return st;
	switch (decide(st, k != NULL, force, repair)) {
	case PAIR_KEEP:
		buf_puts(out, "operator key: kept\n");
		break;
	case PAIR_REFUSE:
		r = keystore_require(st, &pb, "keys", profile);
		break;
	case PAIR_REWRITE_PUB:
		if ((r = put_operator(t, k, id)) == 0)
			buf_printf(out, "operator key %s: repaired (%s/operator.pub written from operator.key)\n", id, state);
		break;
	case PAIR_CREATE: {
		struct minisign_key *n = minisign_keygen();
		if ((r = put_operator(t, n, id)) == 0)
			buf_printf(out, "operator key %s: %s (%s/operator.pub)\n", id, created_word(st), state);
		minisign_key_free(n);
		break;
	}
	}
	*changed += r == 0 && (st != KS_OK || force);
	ks_problem_free(&pb);
	minisign_key_free(k);
	return r;
}

static int do_role(const char *profile, const char *state, const char *role, struct state_txn *t, bool force,
		   bool repair, struct buf *out, int *changed)
{
	struct role_keypair *k = NULL;
	struct ks_problem pb = { 0 };
	int st = keystore_role_pair(state, role, &k, &pb), r = 0;
	if (st < 0)
		return st;
	switch (decide(st, k != NULL, force, repair)) {
	case PAIR_KEEP:
		buf_printf(out, "role key %s: kept\n", role);
		break;
	case PAIR_REFUSE:
		r = keystore_require(st, &pb, "keys", profile);
		break;
	case PAIR_REWRITE_PUB:
		if ((r = put_role(t, role, k)) == 0)
			buf_printf(out, "role key %s: repaired (%s/roles/%s.pub written from %s.key)\n", role, state, role,
				   role);
		break;
	case PAIR_CREATE: {
		struct role_keypair *n = role_keypair_new();
		if ((r = put_role(t, role, n)) == 0)
			buf_printf(out, "role key %s: %s (%s/roles/%s.pub)\n", role, created_word(st), state, role);
		role_keypair_free(n);
		break;
	}
	}
	*changed += r == 0 && (st != KS_OK || force);
	ks_problem_free(&pb);
	role_keypair_free(k);
	return r;
}

static int keys_init(const char *profile, const char *state_opt, bool force, bool repair)
{
	struct model m;
	if (profile_load_reported(profile, &m) < 0)
		return 1;
	char *state = state_dir_resolve(state_opt, profile, m.name), *roles = path_join(state, "roles");
	struct state_txn t = { 0 };
	struct buf out;
	buf_init(&out);
	int ret = 1, lock = -1, changed = 0, refused = 0, r;
	bool used[ROLE__COUNT] = { false };
	for (size_t i = 0; i < m.n_hosts; i++)
		used[m.hosts[i].role] = true;
	if (keystore_prepare_dir(state) < 0 || (lock = state_lock(state, STATE_LOCK_WAIT_MS)) < 0)
		goto done;
	/* another deployment's directory is refused even with --force: its
	 * secrets would stay and be shipped under this deployment's name */
	int claim = keystore_check_owner(state, m.name, profile, true);
	if (claim < 0 || keystore_prepare_dir(roles) < 0 || state_txn_begin(&t, state) < 0)
		goto done;
	if (claim && state_txn_put(&t, "deployment", m.name, strlen(m.name), 0644) < 0)
		goto done;
	if ((r = do_operator(profile, state, &t, force, repair, &out, &changed)) == -EBADMSG || r == -ENOENT)
		refused++;
	else if (r < 0)
		goto done;
	for (int i = 0; i < ROLE__COUNT; i++) {
		if (!used[i])
			continue;
		r = do_role(profile, state, role_name((enum role)i), &t, force, repair, &out, &changed);
		if (r == -EBADMSG || r == -ENOENT)
			refused++;
		else if (r < 0)
			goto done;
	}
	if (refused)
		goto done;   /* each said what is broken and how to repair it; nothing is written */
	if (!changed && !claim) {
		if (repair) {
			fwrite(out.data, 1, out.len, stdout);
			printf("nothing to repair in %s\n", state);
			ret = 0;
		} else
			log_error("keys already exist in %s; refusing to overwrite them (--force replaces them)", state);
		goto done;
	}
	if (state_txn_commit(&t) < 0)
		goto done;
	fwrite(out.data, 1, out.len, stdout);
	ret = 0;
done:
	state_txn_abort(&t);
	state_unlock(lock);
	buf_free(&out);
	free(state);
	free(roles);
	model_free(&m);
	return ret;
}

int cmd_keys(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "repair", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = NULL;
	bool force = false, repair = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 'f': force = true; break;
		case 'r': repair = true; break;
		case 'h': keys_usage(stdout); return 0;
		default: keys_usage(stderr); return 2;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "init") != 0 || (force && repair)) {
		keys_usage(stderr);
		return 2;
	}
	return keys_init(argv[optind + 1], state, force, repair);
}
