/* Test driver for the lb role's renderers (firstboot/role_lb.h):
 *   lb_role PROFILE HOST haproxy                    haproxy.cfg as the appliance's
 *   lb_role PROFILE HOST haproxy BUNDLE CA SOCKET [METRICS_PEM]
 *                                                   with these files, no chroot, as root
 *   lb_role PROFILE HOST keepalived IFACE           keepalived.conf
 * The text goes to stdout; exit 1 when the renderer refuses. */
#include "firstboot/role_lb.h"
#include "tests/drivers/driver.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	struct model m = { 0 };
	if (load_profile(argv[1], &m) < 0)
		return 1;
	const struct host *h = model_find_host(&m, argv[2]);
	struct buf b;
	buf_init(&b);
	int r = -EINVAL;
	if (!h)
		fprintf(stderr, "no host %s\n", argv[2]);
	else if (!strcmp(argv[3], "haproxy") && argc == 4)
		r = lb_render_haproxy(&m, h, &lb_paths_default, &b);
	else if (!strcmp(argv[3], "haproxy") && (argc == 7 || argc == 8)) {
		struct lb_paths p = { .bundle = argv[4], .ca = argv[5], .stats_socket = argv[6],
				      .metrics_pem = argc == 8 ? argv[7] : LB_METRICS_PEM };
		r = lb_render_haproxy(&m, h, &p, &b);
	} else if (!strcmp(argv[3], "keepalived") && argc == 5)
		r = lb_render_keepalived(&m, h, argv[4], &b);
	if (r == 0)
		fwrite(b.data ? b.data : "", 1, b.len, stdout);
	buf_free(&b);
	model_free(&m);
	return r == 0 ? 0 : 1;
}
