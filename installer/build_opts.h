/* Option helpers shared by `kiln rootfs` and `kiln build`. */
#ifndef KILN_BUILD_OPTS_H
#define KILN_BUILD_OPTS_H
#include <stddef.h>
#include <stdint.h>
#include "images/rootfs.h"

struct build_overrides {
	struct artifact_override *v;
	size_t n;
};

/* Parse "NAME=PATH" (--artifact) and append it; logs and returns -EINVAL on
 * a malformed value. The strings are copied. */
int build_overrides_add(struct build_overrides *o, const char *arg);
void build_overrides_free(struct build_overrides *o);

/* SOURCE_DATE_EPOCH from the environment, or -1 when unset/invalid. */
int64_t build_source_date_epoch(void);
#endif
