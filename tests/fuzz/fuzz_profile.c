/* libFuzzer: any bytes through the profile loader must give either a model
 * or diagnostics, never a crash, leak or hang; a model's env templates then
 * render (profiles/env_template.c, profiles/app_env.c) without one either. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "lib/buf.h"
#include "profiles/app_env.h"
#include "profiles/env_template.h"
#include "profiles/profile.h"
#include "targets/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every secret holds what podman's env file cannot: a line break. */
static const char *secret(void *ud, const char *name)
{
	(void)ud;
	(void)name;
	return "a\"b'c\\d$e\nf";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m;
	struct diags d = { 0 };
	if (profile_load_buffer("fuzz.yaml", (const char *)data, size, target_profile_names(), &m, &d) == 0) {
		struct buf b;
		buf_init(&b);
		model_to_json(&m, &b);
		for (size_t i = 0; i < m.roles.app.n_env; i++) {
			env_template_expand(&m, m.roles.app.env[i].tmpl, NULL, NULL, &b);
			env_template_multiline(&m, m.roles.app.env[i].tmpl, NULL);
		}
		char *why = NULL;
		app_env_render(&m, secret, NULL, &b, &why);
		free(why);
		buf_free(&b);
		model_free(&m);
	}
	diags_free(&d);
	return 0;
}
