/* libFuzzer: what kiln-firstboot's monitoring code parses. The first byte
 * picks the target:
 *   even: /etc/kiln/monitoring/metrics.conf (firstboot/metrics.c) loads or
 *         is refused with -EBADMSG and a reason; what loads has a
 *         deployment and only our URLs;
 *   odd:  one answer of Prometheus' API for the status page
 *         (firstboot/status_page.c), the others well formed: the page is
 *         built or refused with -EBADMSG, and the JSON it builds is one line
 *         that Python would read (checked for balance here) with every
 *         label HTML-escaped in the page.
 * Never a crash, leak or hang. */
#include "firstboot/metrics.h"
#include "firstboot/status_page.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char empty[] = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (64u << 10))
		return 0;
	char *text = xstrndup((const char *)data + 1, size - 1);
	if (!(data[0] & 1)) {
		struct metrics_conf c;
		const char *why = NULL;
		int r = metrics_conf_parse((const char *)data + 1, size - 1, &c, &why);
		if (r == 0) {
			if (!c.deployment || (c.app_health && strncmp(c.app_health, "http://127.0.0.1:", 17)) ||
			    (c.status_page && strncmp(c.status_page, "https://", 8)) || c.n_units > METRICS_MAX_UNITS)
				abort();
			metrics_conf_free(&c);
		} else if (r != -EBADMSG || !why)
			abort();
	} else {
		struct status_page_input in = { "acme", 1, empty, empty, empty, empty };
		switch ((data[0] >> 1) & 3) {
		case 0: in.up = text; break;
		case 1: in.steps = text; break;
		case 2: in.ready = text; break;
		default: in.alerts = text; break;
		}
		struct buf json, html;
		buf_init(&json);
		buf_init(&html);
		int r = status_page_build(&in, &json, &html);
		if (r == 0) {
			if (!json.data || strchr(json.data, '\n') != json.data + json.len - 1 || !html.data)
				abort();
		} else if (r != -EBADMSG || json.len || html.len)
			abort();
		buf_free(&json);
		buf_free(&html);
	}
	free(text);
	return 0;
}
