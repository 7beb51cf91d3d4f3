/* Shared by kiln build and kiln package; see build_cli.h. */
#include "installer/build_cli.h"
#include "installer/host_seed.h"
#include "installer/keystore.h"
#include "installer/state_init.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <string.h>
#include <time.h>

int cli_make_seed(void *ud, const struct host *h, struct buf *out)
{
	const struct cli_seeds *s = ud;
	return host_seed_build(s->profile, s->m, s->text, s->tlen, s->state, h->name, out, NULL);
}

int cli_prepare_state(void *ud, const bool want[ROLE__COUNT])
{
	(void)want;   /* like keys init: every role the profile uses */
	const struct cli_seeds *s = ud;
	struct state_init si = { .profile = s->profile, .state = s->state, .m = s->m,
				 .what = STATE_INIT_KEYS | STATE_INIT_SECRETS };
	int r = state_init_run(&si);
	if (r == 0 && si.changed) {
		log_info("%s lacked keys or secrets of deployment %s: made them as 'kiln keys init' and "
			 "'kiln secrets init' do", s->state, s->m->name);
		for (char *line = si.out.data, *nl; line && *line; line = nl + 1) {
			nl = strchr(line, '\n');
			size_t n = nl ? (size_t)(nl - line) : strlen(line);
			if (n < 6 || strncmp(line + n - 6, ": kept", 6))
				log_info("  %.*s", (int)n, line);
			if (!nl)
				break;
		}
	}
	buf_free(&si.out);
	return r;
}

int cli_check_keys(void *ud, const bool want[ROLE__COUNT])
{
	const struct cli_seeds *s = ud;
	return keystore_check_keys(s->state, s->profile, s->m->name, want);
}

int cli_sign(void *ud, const char *name, const void *data, size_t len, uint64_t version, struct buf *sig)
{
	struct cli_signer *s = ud;
	if (!s->key) {
		char *dep = xstrdup(s->deployment);
		int e = keystore_signing_key(s->state, s->profile, &dep, &s->key);
		free(dep);
		if (e < 0)
			return e;
	}
	uint8_t h[MINISIGN_HASH_BYTES];
	minisign_hash_buffer(data, len, h);
	_cleanup_free_ char *comment = minisign_kiln_comment(s->timestamp >= 0 ? s->timestamp : (int64_t)time(NULL),
								      name, s->deployment, version);
	int e = comment ? minisign_sign_hash(s->key, h, comment, NULL, sig) : -EINVAL;
	if (e < 0)
		log_error("cannot sign %s: the file name or deployment holds a tab or control character", name);
	return e;
}

void cli_signer_free(struct cli_signer *s)
{
	minisign_key_free(s->key);
	s->key = NULL;
}

int cli_run(const struct build_request *req)
{
	struct build_result res;
	int e = kiln_build(req, &res);
	for (size_t i = 0; i < res.n_outputs; i++)
		printf("%s\n", res.outputs[i]);
	build_result_free(&res);
	return e < 0 ? 1 : 0;
}

void cli_print_targets(FILE *f, bool (*keep)(const struct kiln_target *t))
{
	const struct kiln_target *const *all = target_all();
	for (size_t i = 0; all[i]; i++)
		if (!keep || keep(all[i]))
			fprintf(f, "  %-5s %s\n", all[i]->name, all[i]->summary);
	fprintf(f, "Seeds need 'kiln keys init' and 'kiln secrets init' (see docs/esxi-ec2.md)");
	for (size_t i = 0; all[i]; i++)
		if ((!keep || keep(all[i])) && all[i]->seed_max)
			fprintf(f, ";\n%s refuses seeds over %zu bytes", all[i]->name, all[i]->seed_max);
	fprintf(f, ".\n");
}

const struct kiln_target **cli_targets(const char *const *names, size_t n)
{
	const struct kiln_target *const *all = target_all();
	size_t n_all = 0, k = 0;
	while (all[n_all])
		n_all++;
	const struct kiln_target **v = xcalloc(n_all + 1, sizeof *v);
	for (size_t i = 0; i < n_all; i++)
		for (size_t j = 0; j < n; j++)
			if (!strcmp(names[j], all[i]->name)) {
				v[k++] = all[i];
				break;
			}
	return v;
}

int cli_check_signing(const struct package_opts *po, const struct kiln_target *const *targets)
{
	if (!!po->sign_key != !!po->sign_cert) {
		log_error("--sign-key and --sign-cert go together");
		return -EINVAL;
	}
	if (!po->sign_key)
		return 0;
	for (size_t i = 0; targets[i]; i++)
		if (targets[i]->signs)
			return 0;
	const struct kiln_target *const *all = target_all();
	size_t k = 0;
	while (all[k] && !all[k]->signs)
		k++;
	_cleanup_free_ char *names = target_names_join(target_signs, ", --target ", " or --target ");
	log_error("--sign-key/--sign-cert sign %s: they need --target %s", all[k] ? all[k]->signs : "nothing",
		  names);
	return -EINVAL;
}
