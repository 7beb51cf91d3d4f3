#include "installer/state.h"
#include "lib/xalloc.h"
#include <libgen.h>
#include <stdlib.h>

char *state_dir_resolve(const char *state_opt, const char *profile_path, const char *deployment)
{
	if (state_opt)
		return xstrdup(state_opt);
	char *copy = xstrdup(profile_path ? profile_path : "./x");
	char *dir = xasprintf("%s/.kiln/%s", dirname(copy), deployment);
	free(copy);
	return dir;
}
