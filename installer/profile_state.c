#include "installer/profile_state.h"
#include "installer/state.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/profile.h"
#include "targets/target.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int profile_open(const char *path, struct opened_profile *p)
{
	memset(p, 0, sizeof *p);
	struct diags d = { 0 };
	int r = profile_load_file_text(path, target_profile_names(), &p->text, &p->len, &p->m, &d);
	if (r < 0) {
		diags_print(&d, stderr);
		if (d.n > 1)
			log_error("%s: %zu error%s in profile", path, d.n, d.n == 1 ? "" : "s");
	}
	diags_free(&d);
	return r;
}

void profile_close(struct opened_profile *p)
{
	model_free(&p->m);
	free(p->text);
	p->text = NULL;
}

int profile_load_reported(const char *path, struct model *m)
{
	struct opened_profile p;
	int r = profile_open(path, &p);
	if (r < 0)
		return r;
	free(p.text);
	*m = p.m;
	return 0;
}

int profile_state_resolve(const char *profile, const char *state_opt, char **state, char **deployment)
{
	*deployment = NULL;
	if (!profile) {
		*state = xstrdup(state_opt);
		return 0;
	}
	struct model m;
	int r = profile_load_reported(profile, &m);
	if (r < 0)
		return r;
	*state = state_dir_resolve(state_opt, profile, m.name);
	*deployment = xstrdup(m.name);
	model_free(&m);
	return 0;
}
