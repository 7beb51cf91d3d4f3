/* Deploy-time overrides of this host's non-secret network settings: the OVF
 * properties kiln.hostname, kiln.address, kiln.gateway and kiln.dns that a
 * vSphere operator fills in when deploying one role's OVA as several hosts.
 * Only the properties the profile lists in esxi.overridable take effect (the
 * rest are ignored with a warning); an empty property means "the seed's
 * value". They change this host's own view of the deployment only: peers keep
 * the profile's address for it (docs/esxi-ec2.md says what that implies).
 * The applied set is kept in /var/lib/kiln/overrides so a reboot without the
 * OVF environment keeps the same network. */
#ifndef KILN_FB_OVERRIDES_H
#define KILN_FB_OVERRIDES_H
#include <stdbool.h>
#include <stddef.h>
#include "firstboot/ovfenv.h"
#include "profiles/model.h"

enum override_key { OVR_HOSTNAME, OVR_ADDRESS, OVR_GATEWAY, OVR_DNS, OVR__COUNT };

struct overrides {
	char *value[OVR__COUNT];   /* NULL = not overridden */
};

const char *override_name(enum override_key k);     /* "hostname", ... */

/* The non-empty kiln.<name> properties of an OVF environment. */
void overrides_from_ovf(const struct ovf_env *e, struct overrides *o);
/* The stored set: 0 (an absent file is an empty set), -EBADMSG, -errno. */
int overrides_load(const char *path, struct overrides *o);
/* Store the set, root-only (an empty set removes the file). 0, -EINVAL for a
 * value overrides_apply would refuse, or -errno. */
int overrides_save(const char *path, const struct overrides *o);
bool overrides_equal(const struct overrides *a, const struct overrides *b);
bool overrides_empty(const struct overrides *o);
void overrides_free(struct overrides *o);

/* Apply the allowed overrides to host h of model m (this host's copy of the
 * deployment). The properties the profile does not allow are dropped from o
 * (with a warning), so o is then exactly what took effect: what is saved and
 * shown. Every value passes the same syntax check overrides_save and
 * overrides_load use, then the checks against the model, before anything
 * changes: -EINVAL with a reason naming the property in why (the model is
 * then untouched). */
int overrides_apply(struct model *m, struct host *h, struct overrides *o, char *why, size_t why_len);
#endif
