/* The deployment's status in one place, on the monitoring host: every host's
 * first-boot state and health, built from what Prometheus already scrapes
 * (each host's kiln_firstboot_* textfile metrics, `up`, the firing alerts),
 * so no new protocol is needed. `kiln-firstboot metrics` rewrites
 * MON_STATUS_DIR/status.json and index.html every run; Prometheus serves
 * them under /user/ behind its TLS and client-certificate check
 * (docs/monitoring.md). They hold host names, roles, step names and states
 * and alert names: labels kiln chose, never a reason text or a secret. */
#ifndef KILN_FB_STATUS_PAGE_H
#define KILN_FB_STATUS_PAGE_H
#include <stdint.h>
#include "lib/buf.h"

/* The answers of Prometheus' /api/v1/query to `up`,
 * `kiln_firstboot_step_state == 1`, `kiln_firstboot_ready` and
 * `ALERTS{alertstate="firing"}`, as its JSON. */
struct status_page_input {
	const char *deployment;
	int64_t now;
	const char *up, *steps, *ready, *alerts;
};
/* status.json and index.html; -EBADMSG when an answer is not a successful
 * instant vector. */
int status_page_build(const struct status_page_input *in, struct buf *json, struct buf *html);

/* Asks the local Prometheus at prom_url (https://ADDR:PORT, with the scrape
 * client certificate) and writes both files below root. Logs its errors.
 * While Prometheus is not ready (starting, or not answering /-/ready within
 * a few seconds) it writes nothing and returns 0: a later run does it. */
int status_page_update(const char *root, const char *prom_url, const char *deployment);
#endif
