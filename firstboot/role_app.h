/* The app role's part of step "role": the TLS certificate (the seed's, or
 * one made here), nginx terminating TLS in front of the service on
 * 127.0.0.1:port, the environment file (profiles/app_env.h: systemd's
 * syntax for a systemd service, podman's for a container), for a container
 * its image, and kiln-app.service. The app itself starts in step "join".
 * A container's image is, by profiles/model.h's app_image_source():
 *   archive    loaded from KILN_APP_ARCHIVE (baked in by kiln build) with
 *              `podman load`, then checked to hold service.image
 *   registry   pulled with `podman pull`: APP_PULL_ATTEMPTS tries, each
 *              bounded by APP_PULL_TIMEOUT_S, waiting 5, 10, 20, 40 s
 *              between them; the last failure is the step's reason
 *   transport  nothing here: podman reads transport:path when it starts */
#ifndef KILN_FB_ROLE_APP_H
#define KILN_FB_ROLE_APP_H
#include "firstboot/agent.h"
#include "lib/buf.h"

#define APP_PULL_ATTEMPTS 5
#define APP_PULL_DELAY_S 5
#define APP_PULL_TIMEOUT_S 600
/* The app's unit, written by the role step, enabled and started by join. */
#define APP_UNIT_NAME "kiln-app.service"

int role_app(struct agent *a);

/* How `podman pull` is retried: attempts tries, each bounded by timeout_s,
 * waiting delay_s and then twice as long each time (at most 60 s). */
struct app_pull_policy {
	unsigned attempts, delay_s, timeout_s;
};
#define APP_PULL_POLICY { APP_PULL_ATTEMPTS, APP_PULL_DELAY_S, APP_PULL_TIMEOUT_S }

/* `podman pull image` under policy p; each failed try is shown in the
 * step's status. 0, or the last try's -errno with why "pulling IMAGE failed
 * after N attempts: <podman's words, or that it did not finish in time>". */
int app_image_pull(struct agent *a, const char *image, const struct app_pull_policy *p, char *why,
		   size_t why_len);

/* A container's image into podman's store as app_image_source() says;
 * *note ("; image X loaded from ...") for the step's message. 0, or -errno
 * with the step ended failed, saying why. */
int app_image_get(struct agent *a, char *note, size_t note_len);

/* kiln-app.service for the model's service. */
void app_unit_render(const struct model *m, struct buf *out);
#endif
