/* Minimal JSON writing helpers (output only; kiln reads JSON with libyaml). */
#ifndef KILN_JSON_H
#define KILN_JSON_H
#include "lib/buf.h"
/* Append s as a JSON string literal with all required escapes; NULL gives null. */
void json_str(struct buf *b, const char *s);
#endif
