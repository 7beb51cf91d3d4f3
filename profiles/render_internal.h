/* Small helpers shared by the profiles/render_*.c files only. */
#ifndef KILN_RENDER_INTERNAL_H
#define KILN_RENDER_INTERNAL_H
#include <stdint.h>
#include "lib/buf.h"
#include "profiles/model.h"

/* "a.b.c.d/p". */
void render_put_net(struct buf *b, uint32_t addr, uint8_t prefix);
/* Header comment line naming the generator, host and deployment. */
void render_banner(const struct model *m, const struct host *h, struct buf *b, const char *comment);
#endif
