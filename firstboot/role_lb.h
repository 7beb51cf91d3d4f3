/* The lb role on its host (docs/lb.md): HAProxy in front of every app host
 * (TLS ended with the deployment's certificate, or passed through as TCP),
 * each app host health-checked on the app's health path; with two lb hosts
 * keepalived moves the profile's virtual address between them over unicast
 * VRRP. With monitoring, a frontend of its own on MON_PORT_HAPROXY serves
 * HAProxy's Prometheus exporter over TLS (the host's certificate from the
 * deployment CA) to clients with a certificate of that CA only: Prometheus'
 * scrape certificate (docs/monitoring.md). The renderers are pure (a model and a host in, text out) so tests
 * can feed the text to `haproxy -c` and `keepalived -t`. */
#ifndef KILN_FB_ROLE_LB_H
#define KILN_FB_ROLE_LB_H
#include "firstboot/agent.h"
#include "lib/buf.h"
#include "profiles/model.h"

#define LB_HAPROXY_CFG    "/etc/haproxy/haproxy.cfg"
#define LB_KEEPALIVED_CFG "/etc/keepalived/keepalived.conf"
#define LB_BUNDLE         "/etc/haproxy/kiln.pem"          /* certificate + key, 0600 */
#define LB_METRICS_PEM    "/etc/haproxy/kiln-metrics.pem"  /* monitoring: this host's certificate + key, 0600 */
#define LB_SYSCTL         "/etc/sysctl.d/60-kiln-lb.conf"  /* two lb hosts: bind the virtual address */
#define LB_CA             KILN_ETC "/tls/ca.pem"           /* the deployment CA (seed's public file) */

/* Where the rendered haproxy.cfg points HAProxy at files; lb_paths_default
 * is the appliance's. Tests run HAProxy elsewhere. */
struct lb_paths {
	const char *bundle;        /* LB_BUNDLE */
	const char *metrics_pem;   /* LB_METRICS_PEM (read only with monitoring) */
	const char *ca;            /* LB_CA */
	const char *stats_socket;  /* "/run/haproxy/admin.sock" */
	const char *chroot;        /* "/var/lib/haproxy", NULL: none */
	const char *user;          /* "haproxy", NULL: stay root (tests) */
};
extern const struct lb_paths lb_paths_default;

/* haproxy.cfg for lb host h (with the metrics frontend when the profile has
 * monitoring). -EINVAL when h is not an lb host with a static address, the
 * profile has no app host with one, or a path is not one word. */
int lb_render_haproxy(const struct model *m, const struct host *h, const struct lb_paths *p, struct buf *out);
/* keepalived.conf for lb host h of two (iface: the NIC holding h's
 * address): one VRRP instance, priority by host order, unicast to the
 * other. -EINVAL when the profile does not have two lb hosts, h is not one,
 * or iface is not an interface name. */
int lb_render_keepalived(const struct model *m, const struct host *h, const char *iface, struct buf *out);
/* The VRRP router id both lb hosts use (1..255, from the deployment name). */
unsigned lb_vrid(const struct model *m);

int role_lb(struct agent *a);
#endif
