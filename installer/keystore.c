#include "installer/keystore.h"
#include "installer/state.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/secret_gen.h"
#include "lib/tls_ca.h"
#include "lib/xalloc.h"
#include "profiles/secrets_catalog.h"
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRIVATE_MAX (64u << 10)

int keystore_check_dir(const char *state)
{
	int r = check_private(state, 1);
	if (r == -EPERM)
		return log_error_errno(r, "state directory %s is open to group/others or not ours; fix with: chmod 700 %s",
				       state, state);
	if (r == -ENOENT)
		return log_error_errno(r, "state directory %s does not exist (run 'kiln keys init' first)", state);
	if (r < 0)
		return log_error_errno(r, "state directory %s", state);
	return 0;
}

int keystore_prepare_dir(const char *dir)
{
	if (access(dir, F_OK) == 0)
		return keystore_check_dir(dir);
	int r = mkdir_p(dir, 0700);
	if (r < 0)
		return log_error_errno(r, "cannot create %s", dir);
	return keystore_check_dir(dir);
}

int keystore_read_private(const char *path, char **data, size_t *len)
{
	int r = check_private(path, 0);
	if (r == -EPERM)
		return log_error_errno(r, "%s is readable by group/others or not ours; refusing to use it; fix with: chmod 600 %s",
				       path, path);
	if (r < 0)
		return log_error_errno(r, "cannot use %s", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return log_error_errno(errno, "cannot open %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size > PRIVATE_MAX) {
		close(fd);
		return log_error_errno(EFBIG, "%s is too large", path);
	}
	size_t n = (size_t)st.st_size, got = 0;
	char *b = sodium_malloc(n + 1);
	if (!b)
		abort();
	while (got < n) {
		ssize_t k = read(fd, b + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = k < 0 ? errno : EIO;
			close(fd);
			sodium_free(b);
			return log_error_errno(e, "cannot read %s", path);
		}
		got += (size_t)k;
	}
	close(fd);
	b[n] = '\0';
	*data = b;
	if (len)
		*len = n;
	return 0;
}

char *keystore_dup_private(const char *s)
{
	size_t n = strlen(s);
	char *b = sodium_malloc(n + 1);
	if (!b)
		abort();
	memcpy(b, s, n + 1);
	return b;
}

void keystore_free_private(char *data)
{
	if (data)
		sodium_free(data);
}

/* The key files a state directory holds. */
enum key_file { OPERATOR_KEY, OPERATOR_PUB, ROLE_KEY, ROLE_PUB };

/* The one load path of every key loader: read the file (a private one only
 * if its mode is private), parse it into out. A malformed file is -EBADMSG,
 * logged unless quiet (the pair checks report it as KS_BAD); every other
 * failure is logged naming the path. */
static int load_key_file(const char *path, enum key_file kind, void *out, bool quiet)
{
	bool private = kind == OPERATOR_KEY || kind == ROLE_KEY;
	char *t;
	size_t n;
	int r;
	if (private)
		r = keystore_read_private(path, &t, &n);   /* logs its own errors */
	else if ((r = read_file(path, 4096, &t, &n)) < 0)
		log_error_errno(r, kind == ROLE_PUB ? "cannot read %s (run 'kiln keys init')"
						    : "cannot read public key %s", path);
	if (r < 0)
		return r;
	const char *why = NULL;   /* NULL: minisign_strerror says why */
	switch (kind) {
	case OPERATOR_KEY:
		r = minisign_key_parse(t, n, out);
		break;
	case OPERATOR_PUB:
		r = minisign_pub_parse(t, n, out);
		break;
	case ROLE_KEY:
		r = role_key_parse(t, n, out);
		why = "malformed role key file";
		break;
	case ROLE_PUB:
		r = role_pub_parse(t, n, out);
		why = "malformed role public key file";
		break;
	}
	if (private)
		keystore_free_private(t);
	else
		free(t);
	if (r < 0 && !(quiet && r == -EBADMSG))
		log_error("%s: %s", path, why ? why : minisign_strerror(r));
	return r;
}

int keystore_load_pub_file(const char *path, struct minisign_pub *out)
{
	return load_key_file(path, OPERATOR_PUB, out, false);
}

int keystore_load_operator_pub(const char *state, struct minisign_pub *out)
{
	char *p = path_join(state, "operator.pub");
	int r = load_key_file(p, OPERATOR_PUB, out, false);
	free(p);
	return r;
}

void ks_problem_free(struct ks_problem *pb)
{
	free(pb->why);
	*pb = (struct ks_problem){ 0 };
}

int ks_problem_set(struct ks_problem *pb, int status, const char *repair, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(pb->why);
	if (vasprintf(&pb->why, fmt, ap) < 0)
		abort();
	va_end(ap);
	pb->repair = repair;
	return status;
}

int keystore_require(int r, struct ks_problem *pb, const char *cmd, const char *profile)
{
	const char *p = profile ? profile : "PROFILE";
	if ((r == KS_MISSING || r == KS_BAD) && pb->repair && !strcmp(pb->repair, KS_REPAIR_OPERATOR)) {
		log_error("%s", pb->why);
		r = r == KS_MISSING ? -ENOENT : -EBADMSG;
	} else if (r == KS_MISSING) {
		log_error("%s; run 'kiln %s init %s'", pb->why, cmd, p);
		r = -ENOENT;
	} else if (r == KS_BAD) {
		log_error("%s; repair with: kiln %s init %s --repair (it %s)", pb->why, cmd, p, pb->repair);
		r = -EBADMSG;
	}
	ks_problem_free(pb);
	return r;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int keystore_deployment(const char *state, char **out)
{
	char *p = path_join(state, "deployment"), *t;
	size_t n;
	int r = read_file(p, 256, &t, &n);
	if (r < 0) {
		log_error_errno(r, "cannot read %s (run 'kiln keys init')", p);
		free(p);
		return r;
	}
	free(p);
	if (n && t[n - 1] == '\n')
		t[--n] = '\0';
	if (n == 0 || strchr(t, '\n')) {
		free(t);
		return log_error_errno(EBADMSG, "%s/deployment is malformed", state);
	}
	*out = t;
	return 0;
}

int keystore_check_owner(const char *state, const char *deployment, const char *profile, bool may_claim)
{
	char *p = path_join(state, "deployment"), *owner = NULL;
	bool claimed = exists(p);
	free(p);
	if (!claimed) {
		if (may_claim)
			return 1;
		log_error("%s holds no deployment's keys (no deployment file); run 'kiln keys init %s' first", state,
			  profile ? profile : "PROFILE");
		return -ENOENT;
	}
	int r = keystore_deployment(state, &owner);
	if (r == 0 && strcmp(owner, deployment) != 0) {
		log_error("%s holds the keys of another deployment ('%s'; the profile is '%s'); "
			  "use that deployment's profile or another --state", state, owner, deployment);
		r = -EXDEV;
	}
	free(owner);
	return r;
}

#define RENEW_OPERATOR "makes a new operator key pair: rebuild every image and seed"
#define RENEW_ROLE "makes a new key pair for the role: rebuild its image and its hosts' seeds"
#define REWRITE_PUB "writes the public half again from the secret key"

/* The unit check of a key pair kp/pp: exactly one of op/rk is non-NULL and
 * receives the secret key when it is good. */
static int check_pair(const char *kp, const char *pp, struct minisign_key **op, struct role_keypair **rk,
		      struct ks_problem *pb)
{
	const char *renew = op ? RENEW_OPERATOR : RENEW_ROLE;
	bool hk = exists(kp), hp = exists(pp);
	if (!hk && !hp)
		return ks_problem_set(pb, KS_MISSING, renew, "%s is missing", kp);
	if (!hk)
		return ks_problem_set(pb, KS_BAD, renew, "%s exists without its secret key %s", pp, kp);
	int r = op ? load_key_file(kp, OPERATOR_KEY, op, true) : load_key_file(kp, ROLE_KEY, rk, true);
	if (r == -EBADMSG)
		return ks_problem_set(pb, KS_BAD, renew, "%s is not a valid secret key", kp);
	if (r < 0)
		return r;
	r = KS_OK;
	if (!hp)
		r = ks_problem_set(pb, KS_BAD, REWRITE_PUB, "%s is missing (its secret key %s is there)", pp, kp);
	else if (op) {
		struct minisign_pub have, want;
		int e = load_key_file(pp, OPERATOR_PUB, &have, true);
		minisign_key_public(*op, &want);
		if (e == -EBADMSG)
			r = ks_problem_set(pb, KS_BAD, REWRITE_PUB, "%s is not a valid public key", pp);
		else if (e < 0)
			r = e;
		else if (memcmp(&have, &want, sizeof have) != 0)
			r = ks_problem_set(pb, KS_BAD, REWRITE_PUB, "%s does not match %s", pp, kp);
	} else {
		uint8_t pk[32];
		int e = load_key_file(pp, ROLE_PUB, pk, true);
		if (e == -EBADMSG)
			r = ks_problem_set(pb, KS_BAD, REWRITE_PUB, "%s is not a valid public key", pp);
		else if (e < 0)
			r = e;
		else if (sodium_memcmp(pk, (*rk)->pk, 32) != 0)
			r = ks_problem_set(pb, KS_BAD, REWRITE_PUB, "%s does not match %s", pp, kp);
	}
	if (r < 0) {
		if (op) {
			minisign_key_free(*op);
			*op = NULL;
		} else {
			role_keypair_free(*rk);
			*rk = NULL;
		}
	}
	return r;
}

int keystore_operator_pair(const char *state, struct minisign_key **key, struct ks_problem *pb)
{
	char *kp = path_join(state, "operator.key"), *pp = path_join(state, "operator.pub");
	struct minisign_key *k = NULL;
	int r = check_pair(kp, pp, &k, NULL, pb);
	if (key)
		*key = k;
	else
		minisign_key_free(k);
	free(kp);
	free(pp);
	return r;
}

int keystore_role_pair(const char *state, const char *role, struct role_keypair **key, struct ks_problem *pb)
{
	char *kp = xasprintf("%s/roles/%s.key", state, role), *pp = xasprintf("%s/roles/%s.pub", state, role);
	struct role_keypair *k = NULL;
	int r = check_pair(kp, pp, NULL, &k, pb);
	if (key)
		*key = k;
	else
		role_keypair_free(k);
	free(kp);
	free(pp);
	return r;
}

#define NEW_VALUE "makes a new value: hosts take it with their next seed"

/* A private file of the state: KS_MISSING, or KS_OK with its content. */
static int read_unit_file(const char *path, char **data, size_t *len)
{
	if (!exists(path))
		return KS_MISSING;
	return keystore_read_private(path, data, len);
}

int keystore_secret(const char *state, enum secret_kind kind, const char *name, char **value, size_t *len,
		    struct ks_problem *pb)
{
	char *p = xasprintf("%s/secrets/%s", state, name), *v = NULL;
	size_t n = 0;
	int r = read_unit_file(p, &v, &n);
	const char *key, *doc;
	secret_external_for(name, &key, &doc);
	if (r == KS_MISSING && kind == SECRET_EXTERNAL)
		ks_problem_set(pb, r, KS_REPAIR_OPERATOR, "secret %s is missing: put the key your S3 provider gave you for "
			       "%s into %s (mode 0600, no newline; %s)", name, key, p, doc);
	else if (r == KS_MISSING)
		ks_problem_set(pb, r, NEW_VALUE, "secret %s is missing (%s)", name, p);
	else if (r == KS_OK && kind == SECRET_EXTERNAL) {
		const char *bad = secret_external_problem(v, n);
		if (bad)
			r = ks_problem_set(pb, KS_BAD, KS_REPAIR_OPERATOR, "%s: %s", p, bad);
	} else if (r == KS_OK && kind != SECRET_TLS_KEY) {
		const char *bad = kind == SECRET_ACCESS_KEY ? secret_access_key_problem(v, n) : secret_password_problem(v, n);
		if (bad)
			r = ks_problem_set(pb, KS_BAD, NEW_VALUE, "%s: %s", p, bad);
	}
	if (r == KS_OK && value) {
		*value = v;
		if (len)
			*len = n;
	} else
		keystore_free_private(v);
	free(p);
	return r;
}

#define NEW_CA "makes a new CA and app certificate: app hosts need new seeds"
#define NEW_CERT "makes a new app certificate and key from the CA: app hosts need new seeds"
#define COPY_CERT "copies the roles.app.tls certificate and key again"

int keystore_read_pair(const char *pem_p, const char *key_p, char **pem, char **key, const char *repair,
		     struct ks_problem *pb)
{
	bool hp = exists(pem_p), hk = exists(key_p);
	if (!hp && !hk)
		return ks_problem_set(pb, KS_MISSING, repair, "%s and %s are missing", pem_p, key_p);
	if (!hp || !hk)
		return ks_problem_set(pb, KS_BAD, repair, "%s exists without %s", hp ? pem_p : key_p, hp ? key_p : pem_p);
	int r = read_file(pem_p, 1u << 20, pem, NULL);
	if (r < 0)
		return log_error_errno(r, "cannot read %s", pem_p);
	return keystore_read_private(key_p, key, NULL);
}

/* The CA unit into out's ca fields: its status, and its PEMs when KS_OK. */
static int check_ca(const char *ca_p, const char *cak_p, int64_t now, struct ks_tls *out)
{
	const char *why;
	int r = out->ca = keystore_read_pair(ca_p, cak_p, &out->ca_pem, &out->ca_key, NEW_CA, &out->ca_pb);
	if (r == KS_OK && tls_check_ca(out->ca_pem, out->ca_key, now, &why) < 0)
		out->ca = ks_problem_set(&out->ca_pb, KS_BAD, NEW_CA, "%s: %s", ca_p, why);
	if (out->ca != KS_OK) {
		free(out->ca_pem);
		keystore_free_private(out->ca_key);
		out->ca_pem = out->ca_key = NULL;
	}
	return r < 0 ? r : 0;
}

int keystore_ca(const char *state, int64_t now, struct ks_tls *out)
{
	char *ca_p = path_join(state, "ca.pem"), *cak_p = path_join(state, "ca.key");
	ks_problem_free(&out->ca_pb);
	int r = check_ca(ca_p, cak_p, now, out);
	free(ca_p);
	free(cak_p);
	return r;
}

int keystore_tls(const char *state, bool own_ca, int64_t now, struct ks_tls *out)
{
	*out = (struct ks_tls){ .ca = KS_MISSING, .cert = KS_MISSING };
	char *ca_p = path_join(state, "ca.pem"), *cak_p = path_join(state, "ca.key");
	char *cert_p = path_join(state, "tls_cert.pem"), *key_p = path_join(state, "secrets/tls_key");
	char *cert = NULL, *key = NULL;
	const char *why;
	int r = 0;
	if (own_ca && (r = check_ca(ca_p, cak_p, now, out)) < 0)
		goto done;
	const char *repair = own_ca ? NEW_CERT : COPY_CERT;
	r = out->cert = keystore_read_pair(cert_p, key_p, &cert, &key, repair, &out->cert_pb);
	if (r < 0)
		goto done;
	if (own_ca && out->ca != KS_OK && out->cert == KS_OK)
		out->cert = ks_problem_set(&out->cert_pb, KS_BAD, NEW_CA, "%s cannot be checked: its CA (%s, %s) is %s", cert_p,
				    ca_p, cak_p, out->ca == KS_MISSING ? "missing" : "broken");
	else if (own_ca && out->ca != KS_OK && out->cert == KS_BAD)
		out->cert_pb.repair = NEW_CA;   /* mended together with the CA */
	else if (out->cert == KS_OK && tls_check_cert(cert, key, own_ca ? out->ca_pem : NULL, now, &why) < 0)
		out->cert = ks_problem_set(&out->cert_pb, KS_BAD, repair, "%s: %s", cert_p, why);
	r = 0;
done:
	if (out->ca != KS_OK) {
		free(out->ca_pem);
		keystore_free_private(out->ca_key);
		out->ca_pem = out->ca_key = NULL;
	}
	free(cert);
	keystore_free_private(key);
	free(ca_p);
	free(cak_p);
	free(cert_p);
	free(key_p);
	if (r < 0)
		keystore_tls_free(out);
	return r;
}

void keystore_tls_free(struct ks_tls *t)
{
	ks_problem_free(&t->ca_pb);
	ks_problem_free(&t->cert_pb);
	free(t->ca_pem);
	keystore_free_private(t->ca_key);
	t->ca_pem = t->ca_key = NULL;
}

int keystore_check_keys(const char *state, const char *profile, const char *deployment, const bool *want)
{
	struct ks_problem pb = { 0 };
	int r = keystore_check_dir(state), lock = -1;
	if (r < 0 || (r = lock = state_lock(state, STATE_LOCK_WAIT_MS)) < 0 ||
	    (r = keystore_check_owner(state, deployment, profile, false)) < 0)
		goto done;
	r = keystore_require(keystore_operator_pair(state, NULL, &pb), &pb, "keys", profile);
	for (int i = 0; r == 0 && i < ROLE__COUNT; i++)
		if (want[i])
			r = keystore_require(keystore_role_pair(state, role_name((enum role)i), NULL, &pb), &pb, "keys",
					     profile);
done:
	state_unlock(lock);
	return r;
}

int keystore_signing_key(const char *state, const char *profile, char **deployment, struct minisign_key **key)
{
	struct ks_problem pb = { 0 };
	int r = keystore_check_dir(state), lock = -1;
	if (r < 0 || (r = lock = state_lock(state, STATE_LOCK_WAIT_MS)) < 0)
		goto done;
	r = keystore_require(keystore_operator_pair(state, key, &pb), &pb, "keys", profile);
	if (r == 0 && *deployment)
		r = keystore_check_owner(state, *deployment, profile, false);
	else if (r == 0)
		r = keystore_deployment(state, deployment);
	if (r < 0) {
		minisign_key_free(*key);
		*key = NULL;
	}
done:
	state_unlock(lock);
	return r;
}
