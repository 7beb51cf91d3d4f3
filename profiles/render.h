/* Rendering one host's system files from the deployment model: network
 * (systemd-networkd), firewall (nftables), identity (hostname, hosts, root's
 * authorized_keys). The result is a list of files as they will sit in the
 * host's root filesystem. This code runs both in `kiln render` on the
 * operator's machine and inside kiln-firstboot on the appliance, so it
 * depends only on the model and lib/, never on the installer.
 * Output is deterministic: the same model gives byte-identical files. */
#ifndef KILN_RENDER_H
#define KILN_RENDER_H
#include <stdbool.h>
#include <stddef.h>
#include "lib/buf.h"
#include "profiles/model.h"

struct rendered_file {
	char *path;            /* absolute path inside the host's root, e.g. "/etc/hostname" */
	unsigned mode;         /* permission bits, e.g. 0644 or 0600 */
	char *data;            /* file contents (text, NUL-terminated) */
	size_t len;
};

struct rendered_files {
	struct rendered_file *v;
	size_t n, cap;
};

void rendered_files_free(struct rendered_files *f);
/* Takes ownership of the buffer's contents (b is reset). */
void rendered_files_add(struct rendered_files *f, const char *path, unsigned mode, struct buf *b);
const struct rendered_file *rendered_files_find(const struct rendered_files *f, const char *path);

/* Every file for host h, in a fixed order. 0 or -errno (-EINVAL: a model
 * the renderers cannot express, logged once with the host's name). */
int render_host(const struct model *m, const struct host *h, struct rendered_files *out);

/* The pieces render_host() is made of, each usable alone. */
int render_network(const struct model *m, const struct host *h, struct rendered_files *out);
int render_nftables(const struct model *m, const struct host *h, struct buf *out);
void render_hostname(const struct model *m, const struct host *h, struct buf *out);
void render_hosts(const struct model *m, const struct host *h, struct buf *out);
void render_authorized_keys(const struct model *m, struct buf *out);
/* With a monitoring: section (docs/monitoring.md): the exporters', journal
 * upload's or journal-remote's files and drop-ins, nginx's local status page
 * on app hosts, and on the monitoring host render_prometheus()'s files. */
int render_monitoring(const struct model *m, const struct host *h, struct rendered_files *out);
/* The monitoring host's /etc/prometheus/{alertmanager,prometheus,kiln-rules}.yml. */
int render_prometheus(const struct model *m, const struct host *h, struct rendered_files *out);
void render_prometheus_config(const struct model *m, const struct host *h, struct buf *out);
void render_prometheus_rules(const struct model *m, const struct host *h, struct buf *out);
int render_alertmanager(const struct model *m, const struct host *h, struct buf *out);
/* An exporter-toolkit web configuration (node and mysqld exporters,
 * Prometheus): TLS with the host's certificate, whose key is unit's
 * systemd credential tls_key; with client_auth, a client certificate of
 * the deployment CA is required. */
void render_monitoring_web_config(const char *unit, bool client_auth, struct buf *out);

/* In a .network rendered from an `ethernets` block, this comment line
 * precedes the [Network] keys kiln adds from the deployment-wide dns: and
 * ntp: settings (netplan has no equivalent); tests comparing with
 * `netplan generate` skip from it to the next section. */
#define RENDER_DEPLOYMENT_WIDE_MARK "# From the profile's deployment-wide dns:/ntp: settings:"

/* Write the files under root (a directory; "/" on the appliance), each
 * atomically with its mode. Missing parent directories are created 0755,
 * or 0700 when the file itself is private (no group/other bits), so
 * root/.ssh comes out 0700. Returns 0 or -errno (not logged). */
int rendered_files_write(const struct rendered_files *f, const char *root);
#endif
