/* kiln keys init's units: the operator's minisign key and one X25519 key
 * per role the profile uses (state_init.h). */
#include "installer/keystore.h"
#include "installer/state_init.h"
#include "lib/minisign.h"
#include "lib/rolekey.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdlib.h>

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

/* The operator pair: kept, created or mended, said in s->out; -errno if
 * refused or failed (logged). */
static int do_operator(struct state_init *s)
{
	struct minisign_key *k = NULL;
	struct ks_problem pb = { 0 };
	char id[17];
	int st = keystore_operator_pair(s->state, &k, &pb), r = 0;
	if (st < 0)
		return st;
	switch (decide(st, k != NULL, s->force, s->repair)) {
	case PAIR_KEEP:
		buf_puts(&s->out, "operator key: kept\n");
		break;
	case PAIR_REFUSE:
		r = keystore_require(st, &pb, "keys", s->profile);
		break;
	case PAIR_REWRITE_PUB:
		if ((r = put_operator(s->t, k, id)) == 0)
			buf_printf(&s->out, "operator key %s: repaired (%s/operator.pub written from operator.key)\n", id, s->state);
		break;
	case PAIR_CREATE: {
		struct minisign_key *n = minisign_keygen();
		if ((r = put_operator(s->t, n, id)) == 0)
			buf_printf(&s->out, "operator key %s: %s (%s/operator.pub)\n", id, created_word(st), s->state);
		minisign_key_free(n);
		break;
	}
	}
	s->changed += r == 0 && (st != KS_OK || s->force);
	ks_problem_free(&pb);
	minisign_key_free(k);
	return r;
}

static int do_role(struct state_init *s, const char *role)
{
	struct role_keypair *k = NULL;
	struct ks_problem pb = { 0 };
	int st = keystore_role_pair(s->state, role, &k, &pb), r = 0;
	if (st < 0)
		return st;
	switch (decide(st, k != NULL, s->force, s->repair)) {
	case PAIR_KEEP:
		buf_printf(&s->out, "role key %s: kept\n", role);
		break;
	case PAIR_REFUSE:
		r = keystore_require(st, &pb, "keys", s->profile);
		break;
	case PAIR_REWRITE_PUB:
		if ((r = put_role(s->t, role, k)) == 0)
			buf_printf(&s->out, "role key %s: repaired (%s/roles/%s.pub written from %s.key)\n", role, s->state, role,
				   role);
		break;
	case PAIR_CREATE: {
		struct role_keypair *n = role_keypair_new();
		if ((r = put_role(s->t, role, n)) == 0)
			buf_printf(&s->out, "role key %s: %s (%s/roles/%s.pub)\n", role, created_word(st), s->state, role);
		role_keypair_free(n);
		break;
	}
	}
	s->changed += r == 0 && (st != KS_OK || s->force);
	ks_problem_free(&pb);
	role_keypair_free(k);
	return r;
}

int state_init_keys(struct state_init *s)
{
	bool used[ROLE__COUNT] = { false };
	for (size_t i = 0; i < s->m->n_hosts; i++)
		used[s->m->hosts[i].role] = true;
	int r = do_operator(s);
	if (r == -EBADMSG || r == -ENOENT)
		s->refused++;
	else if (r < 0)
		return r;
	for (int i = 0; i < ROLE__COUNT; i++) {
		if (!used[i])
			continue;
		r = do_role(s, role_name((enum role)i));
		if (r == -EBADMSG || r == -ENOENT)
			s->refused++;
		else if (r < 0)
			return r;
	}
	return 0;
}
