/* Who this host is: the deployment and host name of the first seed it
 * applied, kept in /var/lib/kiln/identity (root-only, 0600). Every later
 * seed must name the same deployment and host, or it is refused: a replica
 * handed the primary's (newer, validly signed) seed must not become the
 * primary. `kiln-firstboot repurpose --host NAME` is the one deliberate way
 * to make the host another host of its deployment. */
#ifndef KILN_FB_PIN_H
#define KILN_FB_PIN_H
#include <stdbool.h>

#define PIN_FILE "identity"   /* in the agent's state directory */
#define PIN_NAME_MAX 63

struct pin {
	char deployment[PIN_NAME_MAX + 1];
	char host[PIN_NAME_MAX + 1];
};

/* 0; -ENOENT when the host is not pinned yet; -EBADMSG when the file is not
 * a pin; the errors of read_input (lib/input.h) otherwise. */
int pin_load(const char *path, struct pin *p);
/* Atomic write, mode 0600. -EINVAL for names that are not [a-z0-9-]{1,63}. */
int pin_save(const char *path, const struct pin *p);
/* Fills p from two names; -EINVAL unless both are [a-z0-9-]{1,63}. */
int pin_set(struct pin *p, const char *deployment, const char *host);
bool pin_matches(const struct pin *p, const char *deployment, const char *host);
#endif
