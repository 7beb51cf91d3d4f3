/* Step "secrets": the secrets this host's seed carries go to root-only files
 * under /etc/kiln/secrets (dir 0700, files 0600), from where services get
 * them (systemd LoadCredential=, EnvironmentFile= of a 0600 file). Public
 * files (CA and app certificates) go to /etc/kiln/tls. Never logged. */
#include "firstboot/agent.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

int step_secrets(struct agent *a)
{
	const char *step = "secrets";
	for (size_t i = 0; i < a->seed.n_secrets; i++) {
		const struct seed_secret *s = &a->seed.secrets[i];
		char *p = xasprintf(KILN_SECRETS_DIR "/%s", s->name);
		int r = agent_write(a, p, s->value, s->len, 0600);
		free(p);
		if (r < 0)
			return agent_step_end(a, step, r, "writing secret %s: %s", s->name, strerror(-r));
	}
	for (size_t i = 0; i < a->seed.n_files; i++) {
		const struct seed_file *f = &a->seed.files[i];
		char *p = xasprintf(KILN_ETC "/tls/%s", f->name);
		int r = agent_write(a, p, f->data, f->len, 0644);
		free(p);
		if (r < 0)
			return agent_step_end(a, step, r, "writing %s: %s", f->name, strerror(-r));
	}
	return agent_step_end(a, step, 0, "%zu secrets, %zu public files", a->seed.n_secrets, a->seed.n_files);
}
