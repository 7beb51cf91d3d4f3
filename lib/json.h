/* Minimal JSON writing helpers (output only; kiln reads JSON with libyaml). */
#ifndef KILN_JSON_H
#define KILN_JSON_H
#include "lib/buf.h"
/* Append s as a JSON string literal with all required escapes; NULL gives
 * null. The output is always valid UTF-8 that libyaml reads back as s: a
 * byte that is not part of valid UTF-8 becomes U+FFFD, and characters YAML
 * would refuse or fold (C1 controls, U+0085, U+2028, U+2029) are escaped. */
void json_str(struct buf *b, const char *s);
#endif
