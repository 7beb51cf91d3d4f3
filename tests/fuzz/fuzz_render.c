/* libFuzzer: every model the loader accepts must render for every host
 * (and an lb host's haproxy.cfg and keepalived.conf, firstboot/role_lb.h),
 * or be refused with an error, never crash, leak or hang. */
#include <stddef.h>
#include <stdint.h>
#include "firstboot/role_lb.h"
#include "lib/log.h"
#include "profiles/profile.h"
#include "targets/target.h"
#include "profiles/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(enum log_level lvl, const char *msg, void *ud) { (void)lvl; (void)msg; (void)ud; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m;
	struct diags d = { 0 };
	log_set_sink(quiet, NULL);
	if (profile_load_buffer("fuzz.yaml", (const char *)data, size, target_profile_names(), &m, &d) == 0) {
		for (size_t i = 0; i < m.n_hosts; i++) {
			struct rendered_files f = { 0 };
			render_host(&m, &m.hosts[i], &f);
			rendered_files_free(&f);
			if (m.hosts[i].role != ROLE_LB)
				continue;
			struct buf b;
			buf_init(&b);
			lb_render_haproxy(&m, &m.hosts[i], &lb_paths_default, &b);
			lb_render_keepalived(&m, &m.hosts[i], "eth0", &b);
			buf_free(&b);
		}
		model_free(&m);
	}
	diags_free(&d);
	return 0;
}
