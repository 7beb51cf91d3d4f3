/* Small helpers shared by the profiles/render_*.c files only. They restate
 * a few model.h helpers privately so the renderers stand alone (the same
 * object files go into kiln-firstboot). */
#ifndef KILN_RENDER_INTERNAL_H
#define KILN_RENDER_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>
#include "lib/buf.h"
#include "profiles/model.h"

/* "a.b.c.d" into buf. */
const char *render_ip(uint32_t a, char buf[16]);
/* "a.b.c.d/p". */
void render_put_net(struct buf *b, uint32_t addr, uint8_t prefix);
const char *render_role(enum role r);
/* Does a flow's `to` (or any endpoint) cover host h? DHCP hosts match a
 * CIDR endpoint only through their subnet lying wholly inside it. */
bool render_endpoint_covers(const struct model *m, const struct endpoint *e, const struct host *h);
/* Header comment line naming the generator, host and deployment. */
void render_banner(const struct model *m, const struct host *h, struct buf *b, const char *comment);
#endif
