/* kiln keys init PROFILE: the operator's minisign key and one X25519 key per
 * role the profile uses, in the deployment's private state directory. */
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
#include <unistd.h>

static void keys_usage(FILE *f)
{
	fprintf(f, "Usage: kiln keys init PROFILE [--state DIR] [--force]\n\n"
		   "Create the deployment's operator signing key (minisign format) and one X25519\n"
		   "key per role the profile uses, in the state directory (default\n"
		   "<profile dir>/.kiln/<deployment>/, mode 0700; secret keys 0600).\n"
		   "Existing keys are kept; keys missing for newly used roles are added.\n\n"
		   "  --state DIR   state directory\n"
		   "  --force       replace existing keys (images and seeds made with the old\n"
		   "                keys stop working)\n");
}

static int write_pair(const char *key_path, const struct buf *key, const char *pub_path,
		      const struct buf *pub)
{
	int r = write_file_atomic(pub_path, pub->data, pub->len, 0644);
	if (r < 0)
		return log_error_errno(r, "cannot write %s", pub_path);
	r = write_file_atomic(key_path, key->data, key->len, 0600);
	if (r < 0)
		return log_error_errno(r, "cannot write %s", key_path);
	return 0;
}

static int make_operator_key(const char *state)
{
	char *kp = path_join(state, "operator.key"), *pp = path_join(state, "operator.pub");
	struct minisign_key *k = minisign_keygen();
	struct minisign_pub p;
	struct buf key, pub;
	buf_init(&key);
	buf_init(&pub);
	minisign_key_public(k, &p);
	minisign_key_format(k, &key);
	minisign_pub_format(&p, &pub);
	int r = write_pair(kp, &key, pp, &pub);
	if (r == 0) {
		char id[17];
		minisign_keyid(p.keynum, id);
		printf("operator key %s: created (%s)\n", id, pp);
	}
	buf_wipe(&key);
	buf_free(&pub);
	minisign_key_free(k);
	free(kp);
	free(pp);
	return r;
}

static int make_role_key(const char *state, const char *role)
{
	char *kp = xasprintf("%s/roles/%s.key", state, role), *pp = xasprintf("%s/roles/%s.pub", state, role);
	struct role_keypair *k = role_keypair_new();
	struct buf key, pub;
	buf_init(&key);
	buf_init(&pub);
	role_key_format(role, k, &key);
	role_pub_format(role, k->pk, &pub);
	int r = write_pair(kp, &key, pp, &pub);
	if (r == 0)
		printf("role key %s: created (%s)\n", role, pp);
	buf_wipe(&key);
	buf_free(&pub);
	role_keypair_free(k);
	free(kp);
	free(pp);
	return r;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int keys_init(const char *profile, const char *state_opt, bool force)
{
	struct model m;
	if (profile_load_reported(profile, &m) < 0)
		return 1;
	char *state = state_dir_resolve(state_opt, profile, m.name);
	char *roles = path_join(state, "roles"), *opk = path_join(state, "operator.key");
	char *dep = path_join(state, "deployment");
	int ret = 1, r, created = 0;
	bool used[ROLE__COUNT] = { false };
	for (size_t i = 0; i < m.n_hosts; i++)
		used[m.hosts[i].role] = true;
	if (keystore_prepare_dir(state) < 0)
		goto done;
	r = mkdir_p(roles, 0700);
	if (r < 0) {
		log_error_errno(r, "cannot create %s", roles);
		goto done;
	}
	if (keystore_check_dir(roles) < 0)
		goto done;
	if (exists(dep) && !force) {
		char *old;
		if (keystore_deployment(state, &old) < 0)
			goto done;
		bool same = !strcmp(old, m.name);
		free(old);
		if (!same) {
			log_error("%s holds keys of another deployment; use another --state or --force", state);
			goto done;
		}
	}
	r = write_file_atomic(dep, m.name, strlen(m.name), 0644);
	if (r < 0) {
		log_error_errno(r, "cannot write %s", dep);
		goto done;
	}
	if (force || !exists(opk)) {
		if (make_operator_key(state) < 0)
			goto done;
		created++;
	} else {
		/* refuse to go on with an operator key we could not use */
		struct minisign_key *k;
		if (keystore_load_operator_key(state, &k) < 0)
			goto done;
		minisign_key_free(k);
		printf("operator key: kept\n");
	}
	for (int i = 0; i < ROLE__COUNT; i++) {
		if (!used[i])
			continue;
		char *rk = xasprintf("%s/%s.key", roles, role_name((enum role)i));
		bool have = exists(rk);
		free(rk);
		if (force || !have) {
			if (make_role_key(state, role_name((enum role)i)) < 0)
				goto done;
			created++;
		} else {
			struct role_keypair *k;
			if (keystore_load_role_key(state, role_name((enum role)i), &k) < 0)
				goto done;
			role_keypair_free(k);
			printf("role key %s: kept\n", role_name((enum role)i));
		}
	}
	if (!created) {
		log_error("keys already exist in %s; refusing to overwrite them (--force replaces them)", state);
		goto done;
	}
	ret = 0;
done:
	free(state);
	free(roles);
	free(opk);
	free(dep);
	model_free(&m);
	return ret;
}

int cmd_keys(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = NULL;
	bool force = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 'f': force = true; break;
		case 'h': keys_usage(stdout); return 0;
		default: keys_usage(stderr); return 2;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "init") != 0) {
		keys_usage(stderr);
		return 2;
	}
	return keys_init(argv[optind + 1], state, force);
}
