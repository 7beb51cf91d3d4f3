/* Model helpers declared in profiles/model.h: lookups, endpoint
 * matching, IPv4 arithmetic, ESXi hardware versions and freeing. */
#include "profiles/model.h"
#include "profiles/backup.h"
#include "profiles/monitoring.h"
#include "profiles/disk_rule.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct host *model_find_host(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->n_hosts; i++)
		if (m->hosts[i].name && strcmp(m->hosts[i].name, name) == 0)
			return &m->hosts[i];
	return NULL;
}

bool model_has_role(const struct model *m, enum role r)
{
	for (size_t i = 0; i < m->n_hosts; i++)
		if (m->hosts[i].role == r)
			return true;
	return false;
}

bool model_has_replica(const struct model *m)
{
	for (size_t i = 0; i < m->n_hosts; i++)
		if (m->hosts[i].replica_of)
			return true;
	return false;
}

void role_sizing(const struct model *m, enum role r, struct role_sizing *s)
{
	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (h->role != r)
			continue;
		s->n_hosts++;
		if (h->size.vcpus > s->vcpus)
			s->vcpus = h->size.vcpus;
		if (h->size.memory_mib > s->memory_mib)
			s->memory_mib = h->size.memory_mib;
		if (h->size.os_disk_gib > s->os_disk_gib)
			s->os_disk_gib = h->size.os_disk_gib;
		if (role_keeps_data(r) && h->size.data_disk_gib > s->data_disk_gib)
			s->data_disk_gib = h->size.data_disk_gib;
		unsigned nics = h->n_ethernets ? (unsigned)h->n_ethernets : 1;
		if (nics > s->nics)
			s->nics = nics;
	}
	if (!s->nics)
		s->nics = 1;
}

bool model_minio_distributed(const struct model *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n_hosts; i++)
		n += m->hosts[i].role == ROLE_MINIO;
	return n >= MINIO_DISTRIBUTED_MIN;
}

size_t model_lb_hosts(const struct model *m, const struct host *out[2])
{
	size_t n = 0;
	for (size_t i = 0; i < m->n_hosts && n < 2; i++)
		if (m->hosts[i].role == ROLE_LB)
			out[n++] = &m->hosts[i];
	return n;
}

const char *lb_health_path(const struct model *m)
{
	return m->roles.lb.health_check ? m->roles.lb.health_check
	       : m->monitoring.app_health ? m->monitoring.app_health : "/";
}

bool app_behind_balancer(const struct model *m)
{
	return model_has_role(m, ROLE_LB) || m->roles.app.n_lb_external > 0;
}

bool model_has_target(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->n_targets; i++)
		if (!strcmp(m->targets[i].name, name))
			return true;
	return false;
}

bool app_image_is_transport(const char *image)
{
	static const char *const transports[] = { "containers-storage", "dir", "docker", "docker-archive",
						  "docker-daemon", "oci", "oci-archive", "sif", NULL };
	const char *colon = strchr(image, ':');
	for (size_t i = 0; colon && transports[i]; i++)
		if (strlen(transports[i]) == (size_t)(colon - image) && !strncmp(image, transports[i], (size_t)(colon - image)))
			return true;
	return false;
}

enum app_image_source app_image_source(const struct model *m)
{
	if (m->roles.app.archive)
		return APP_IMAGE_ARCHIVE;
	return m->roles.app.image && app_image_is_transport(m->roles.app.image) ? APP_IMAGE_TRANSPORT
										  : APP_IMAGE_REGISTRY;
}

const struct subnet *model_find_subnet(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->n_subnets; i++)
		if (m->subnets[i].name && strcmp(m->subnets[i].name, name) == 0)
			return &m->subnets[i];
	return NULL;
}

const struct subnet *model_host_subnet(const struct model *m, const struct host *h)
{
	return h->subnet < m->n_subnets ? &m->subnets[h->subnet] : NULL;
}

bool endpoint_matches_host(const struct model *m, const struct endpoint *e, const struct host *h)
{
	const struct subnet *s;
	switch (e->kind) {
	case EP_HOST:
		return strcmp(e->name, h->name) == 0;
	case EP_ROLE:
		return role_from_name(e->name) == (int)h->role;
	case EP_SUBNET:
		s = model_host_subnet(m, h);
		return s && strcmp(s->name, e->name) == 0;
	case EP_CIDR:
		/* A DHCP host's address is unknown: it matches when its whole subnet is inside. */
		if (!h->dhcp)
			return ipv4_net_contains(&e->cidr, h->address);
		s = model_host_subnet(m, h);
		return s && s->cidr.prefix >= e->cidr.prefix && ipv4_net_contains(&e->cidr, s->cidr.addr);
	}
	return false;
}

bool esxi_hardware_version_ok(unsigned v)
{
	/* ESXi versions: 11 = 6.0, 13 = 6.5, 14 = 6.7, 15 = 6.7U2, 17-19 = 7.0.x,
	 * 20 = 8.0, 21 = 8.0U2. 12 and 16 are Workstation-only. */
	return v == 11 || (v >= 13 && v <= 15) || (v >= 17 && v <= 21);
}

int esxi_hardware_version_parse(const char *s, unsigned *out)
{
	if (!s || strncmp(s, "vmx-", 4) != 0 || !s[4])
		return -EINVAL;
	unsigned v = 0;
	for (const char *p = s + 4; *p; p++) {
		if (*p < '0' || *p > '9' || v > 1000)
			return -EINVAL;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (!esxi_hardware_version_ok(v))
		return -ENOTSUP;
	*out = v;
	return 0;
}

/* Strict dotted quad: four decimal octets, no leading zeros (they read as octal elsewhere). */
int ipv4_parse(const char *s, uint32_t *out)
{
	uint32_t a = 0;
	if (!s)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		if (i > 0 && *s++ != '.')
			return -EINVAL;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
			return -EINVAL;
		unsigned v = 0;
		int digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (v > 255 || digits > 3)
			return -EINVAL;
		a = a << 8 | v;
	}
	if (*s)
		return -EINVAL;
	*out = a;
	return 0;
}

int ipv4_addr_prefix_parse(const char *s, uint32_t *addr, uint8_t *prefix)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	if (!slash || slash - s > 15)
		return -EINVAL;
	char head[16];
	memcpy(head, s, (size_t)(slash - s));
	head[slash - s] = '\0';
	if (ipv4_parse(head, addr) < 0)
		return -EINVAL;
	const char *p = slash + 1;
	unsigned v = 0;
	int digits = 0;
	while (*p >= '0' && *p <= '9' && digits < 3) {
		v = v * 10 + (unsigned)(*p++ - '0');
		digits++;
	}
	if (digits == 0 || *p || (digits > 1 && slash[1] == '0'))
		return -EINVAL;
	if (v > 32)
		return -ERANGE;
	*prefix = (uint8_t)v;
	return 0;
}

int ipv4_net_parse(const char *s, struct ipv4_net *out)
{
	uint32_t a;
	uint8_t p;
	int r = ipv4_addr_prefix_parse(s, &a, &p);
	if (r < 0)
		return -EINVAL;
	if (a & ~ipv4_netmask(p))
		return -EINVAL;
	out->addr = a;
	out->prefix = p;
	return 0;
}

const char *ipv4_fmt(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

const char *ipv4_net_fmt(const struct ipv4_net *n, char buf[19])
{
	char a[16];
	size_t l = strlen(ipv4_fmt(n->addr, a));   /* at most 15: room for "/32" and the NUL */
	unsigned p = n->prefix > 32 ? 32 : n->prefix;
	memcpy(buf, a, l);
	buf[l++] = '/';
	if (p >= 10)
		buf[l++] = (char)('0' + p / 10);
	buf[l++] = (char)('0' + p % 10);
	buf[l] = '\0';
	return buf;
}

uint32_t ipv4_netmask(uint8_t prefix)
{
	return prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
}

uint32_t ipv4_broadcast(const struct ipv4_net *n)
{
	return n->addr | ~ipv4_netmask(n->prefix);
}

bool ipv4_net_contains(const struct ipv4_net *n, uint32_t a)
{
	return (a & ipv4_netmask(n->prefix)) == n->addr;
}

bool ipv4_net_overlap(const struct ipv4_net *a, const struct ipv4_net *b)
{
	uint8_t p = a->prefix < b->prefix ? a->prefix : b->prefix;
	uint32_t mask = ipv4_netmask(p);
	return (a->addr & mask) == (b->addr & mask);
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void ethernet_free(struct ethernet *e)
{
	free(e->id);
	free(e->match_name);
	free(e->match_mac);
	free(e->match_driver);
	free(e->set_name);
	strv_free(e->addresses, e->n_addresses);
	for (size_t i = 0; i < e->n_routes; i++) {
		free(e->routes[i].to);
		free(e->routes[i].via);
	}
	free(e->routes);
	strv_free(e->nameservers, e->n_nameservers);
	strv_free(e->search, e->n_search);
	free(e->macaddress);
}

void flows_free(struct flow **flows, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free((*flows)[i].from.name);
		free((*flows)[i].to.name);
	}
	free(*flows);
	*flows = NULL;
	*n = 0;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	free(m->source_name);
	free(m->name);
	free(m->domain);
	debian_settings_free(&m->debian);
	for (size_t i = 0; i < m->n_subnets; i++)
		free(m->subnets[i].name);
	free(m->subnets);
	for (size_t i = 0; i < m->n_hosts; i++) {
		struct host *h = &m->hosts[i];
		free(h->name);
		free(h->hostname);
		free(h->size_preset);
		free(h->replica_of);
		for (size_t j = 0; j < h->n_ethernets; j++)
			ethernet_free(&h->ethernets[j]);
		free(h->ethernets);
		install_settings_free(&h->install);
	}
	free(m->hosts);
	free(m->dns);
	strv_free(m->dns_search, m->n_dns_search);
	strv_free(m->ntp, m->n_ntp);
	strv_free(m->ssh_keys, m->n_ssh_keys);
	for (size_t i = 0; i < m->n_ssh_from; i++)
		free(m->ssh_from[i].name);
	free(m->ssh_from);
	flows_free(&m->flows, &m->n_flows);
	free(m->roles.mysql.database);
	free(m->roles.mysql.user);
	strv_free(m->roles.mysql.setting_keys, m->roles.mysql.n_settings);
	strv_free(m->roles.mysql.setting_values, m->roles.mysql.n_settings);
	for (size_t i = 0; i < m->roles.minio.n_buckets; i++) {
		struct bucket *b = &m->roles.minio.buckets[i];
		free(b->name);
		if (b->replicate_to) {
			free(b->replicate_to->endpoint);
			free(b->replicate_to->bucket);
			free(b->replicate_to->region);
			free(b->replicate_to);
		}
	}
	free(m->roles.minio.buckets);
	free(m->roles.app.exec);
	free(m->roles.app.image);
	free(m->roles.app.archive);
	for (size_t i = 0; i < m->roles.app.n_env; i++) {
		free(m->roles.app.env[i].name);
		free(m->roles.app.env[i].tmpl);
	}
	free(m->roles.app.env);
	strv_free(m->roles.app.secrets, m->roles.app.n_secrets);
	free(m->roles.app.tls_cert);
	free(m->roles.app.tls_key);
	free(m->roles.app.server_name);
	for (size_t i = 0; i < m->roles.app.n_lb_external; i++)
		free(m->roles.app.lb_external[i].name);
	free(m->roles.app.lb_external);
	free(m->roles.lb.health_check);
	for (size_t i = 0; i < m->n_sizes; i++)
		free(m->sizes[i].name);
	free(m->sizes);
	for (size_t i = 0; i < m->n_targets; i++)
		free(m->targets[i].name);
	free(m->targets);
	free(m->esxi.hardware_version);
	free(m->esxi.network);
	free(m->esxi.disk_controller);
	free(m->esxi.firmware);
	strv_free(m->esxi.overridable, m->esxi.n_overridable);
	monitoring_settings_free(&m->monitoring);
	backup_settings_free(&m->backup);
	install_settings_free(&m->install);
	memset(m, 0, sizeof *m);
}
