/* kiln secrets init PROFILE: every secret the deployment has, one per file
 * in <state>/secrets/ (0600), generated once and kept afterwards; plus the
 * deployment's TLS CA and the app server certificate. Values are never
 * printed: only names and "generated"/"kept". */
#include "installer/commands.h"
#include "installer/keystore.h"
#include "installer/profile_state.h"
#include "installer/state.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/secret_gen.h"
#include "lib/tls_ca.h"
#include "lib/xalloc.h"
#include "profiles/secrets_catalog.h"
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void secrets_usage(FILE *f)
{
	fprintf(f, "Usage: kiln secrets init PROFILE [--state DIR]\n\n"
		   "Generate every secret the deployment needs into DIR/secrets/NAME (0600), keeping\n"
		   "the ones that exist. For the app's TLS key it creates a deployment CA (ca.pem,\n"
		   "ca.key) and the server certificate tls_cert.pem, unless roles.app.tls names\n"
		   "operator-supplied cert/key files. Prints names only, never values.\n\n"
		   "  --state DIR   state directory (default <profile dir>/.kiln/<deployment>/)\n");
}

static bool exists(const char *p) { return access(p, F_OK) == 0; }

static bool has_cert(const char *state)
{
	char *p = path_join(state, "tls_cert.pem");
	bool ok = exists(p);
	free(p);
	return ok;
}

/* Operator-supplied paths in the profile are relative to the profile's directory. */
static char *profile_relative(const char *profile, const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	char *copy = xstrdup(profile), *r = path_join(dirname(copy), p);
	free(copy);
	return r;
}

static int write_secret(const char *path, const char *v)
{
	int r = write_file_atomic(path, v, strlen(v), 0600);
	if (r < 0)
		return log_error_errno(r, "cannot write %s", path);
	return 0;
}

/* CA (kept if present) + app server certificate: SANs server_name, or each
 * app host's FQDN and static address. */
static int make_tls(const struct model *m, const char *state, const char *key_path)
{
	char *ca_pem_p = path_join(state, "ca.pem"), *ca_key_p = path_join(state, "ca.key");
	char *cert_p = path_join(state, "tls_cert.pem");
	char *ca_cert = NULL, *ca_key = NULL, *cert = NULL, *key = NULL;
	size_t n;
	int r;
	if (exists(ca_key_p)) {
		if ((r = keystore_read_private(ca_key_p, &ca_key, &n)) < 0)
			goto done;
		if ((r = read_file(ca_pem_p, 65536, &ca_cert, &n)) < 0) {
			log_error_errno(r, "cannot read %s", ca_pem_p);
			goto done;
		}
		printf("ca: kept\n");
	} else {
		char *cn = xasprintf("kiln %s deployment CA", m->name), *k;
		r = tls_ca_create(cn, &ca_cert, &k);
		free(cn);
		if (r < 0) {
			log_error("cannot create the TLS CA (OpenSSL failed)");
			goto done;
		}
		r = write_secret(ca_key_p, k);
		if (r == 0 && (r = write_file_atomic(ca_pem_p, ca_cert, strlen(ca_cert), 0644)) < 0)
			log_error_errno(r, "cannot write %s", ca_pem_p);
		/* keep the key in secure memory like the loaded case */
		ca_key = sodium_malloc(strlen(k) + 1);
		if (!ca_key)
			abort();
		memcpy(ca_key, k, strlen(k) + 1);
		tls_free_secret(k);
		if (r < 0)
			goto done;
		printf("ca: generated\n");
	}
	const char **dns = NULL;
	uint32_t *ips = NULL;
	size_t nd = 0, ni = 0, cd = 0, ci = 0;
	char **owned = xcalloc(m->n_hosts + 1, sizeof *owned);
	if (m->roles.app.server_name) {
		dns = xgrow(dns, &cd, 1, sizeof *dns);
		dns[nd++] = m->roles.app.server_name;
	} else {
		for (size_t i = 0; i < m->n_hosts; i++)
			if (m->hosts[i].role == ROLE_APP) {
				owned[i] = xasprintf("%s.%s", m->hosts[i].name, m->domain);
				dns = xgrow(dns, &cd, nd + 1, sizeof *dns);
				dns[nd++] = owned[i];
			}
	}
	for (size_t i = 0; i < m->n_hosts; i++)
		if (m->hosts[i].role == ROLE_APP && !m->hosts[i].dhcp && m->hosts[i].address) {
			ips = xgrow(ips, &ci, ni + 1, sizeof *ips);
			ips[ni++] = m->hosts[i].address;
		}
	r = tls_server_cert(ca_cert, ca_key, dns, nd, ips, ni, &cert, &key);
	for (size_t i = 0; i < m->n_hosts; i++)
		free(owned[i]);
	free(owned);
	free(dns);
	free(ips);
	if (r < 0) {
		log_error("cannot create the app TLS certificate%s", r == -EINVAL ? ": ca.pem and ca.key do not match" : "");
		goto done;
	}
	if ((r = write_file_atomic(cert_p, cert, strlen(cert), 0644)) < 0) {
		log_error_errno(r, "cannot write %s", cert_p);
		goto done;
	}
	r = write_secret(key_path, key);
done:
	free(ca_pem_p);
	free(ca_key_p);
	free(cert_p);
	free(ca_cert);
	free(cert);
	keystore_free_private(ca_key);
	tls_free_secret(key);
	return r;
}

/* roles.app.tls cert/key given: copy them into the state. */
static int copy_operator_tls(const struct model *m, const char *profile, const char *state,
			     const char *key_path)
{
	char *cp = profile_relative(profile, m->roles.app.tls_cert);
	char *kp = profile_relative(profile, m->roles.app.tls_key);
	char *cert_p = path_join(state, "tls_cert.pem"), *cert = NULL, *key = NULL;
	size_t n;
	int r = read_file(cp, 1u << 20, &cert, &n);
	if (r < 0)
		log_error_errno(r, "cannot read roles.app.tls.cert %s", cp);
	else if ((r = keystore_read_private(kp, &key, &n)) == 0) {
		if (!strstr(key, "-----BEGIN ") || !strstr(cert, "-----BEGIN CERTIFICATE-----"))
			r = log_error_errno(EINVAL, "roles.app.tls cert/key are not PEM files");
		else if ((r = write_file_atomic(cert_p, cert, strlen(cert), 0644)) < 0)
			log_error_errno(r, "cannot write %s", cert_p);
		else
			r = write_secret(key_path, key);
	}
	keystore_free_private(key);
	free(cert);
	free(cp);
	free(kp);
	free(cert_p);
	return r;
}

static int secrets_init(const char *profile, const char *state_opt)
{
	struct model m;
	if (profile_load_reported(profile, &m) < 0)
		return 1;
	char *state = state_dir_resolve(state_opt, profile, m.name);
	char *dir = path_join(state, "secrets");
	const char **names = NULL;
	size_t n = secret_names(&m, &names);
	int ret = 1, r;
	if (keystore_prepare_dir(state) < 0 || keystore_prepare_dir(dir) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(dir, names[i]);
		if (exists(p)) {
			r = check_private(p, 0);
			if (r < 0)
				log_error("%s is readable by group/others or not ours; fix with: chmod 600 %s", p, p);
			else if (secret_kind_of(&m, names[i]) == SECRET_TLS_KEY && !has_cert(state))
				r = log_error_errno(ENOENT, "%s/tls_cert.pem is missing but secrets/tls_key exists; "
						    "remove %s to make a new key and certificate", state, p);
			else
				printf("%s: kept\n", names[i]);
		} else {
			enum secret_kind k = secret_kind_of(&m, names[i]);
			if (k == SECRET_TLS_KEY) {
				r = m.roles.app.tls_cert ? copy_operator_tls(&m, profile, state, p) : make_tls(&m, state, p);
			} else {
				char *v = k == SECRET_ACCESS_KEY ? secret_gen_access_key() : secret_gen_password();
				r = write_secret(p, v);
				secret_value_free(v);
			}
			if (r == 0)
				printf("%s: %s\n", names[i], k == SECRET_TLS_KEY && m.roles.app.tls_cert ? "copied" : "generated");
		}
		free(p);
		if (r < 0)
			goto done;
	}
	ret = 0;
done:
	free(names);
	free(dir);
	free(state);
	model_free(&m);
	return ret;
}

int cmd_secrets(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 'h': secrets_usage(stdout); return 0;
		default: secrets_usage(stderr); return 2;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "init") != 0) {
		secrets_usage(stderr);
		return 2;
	}
	return secrets_init(argv[optind + 1], state);
}
