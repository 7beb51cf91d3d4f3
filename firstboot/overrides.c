#include "firstboot/overrides.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/names.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DNS_MAX 8
#define TEXT_(x) #x
#define TEXT(x) TEXT_(x)   /* DNS_MAX in a message */

static const char *const names[OVR__COUNT] = { "hostname", "address", "gateway", "dns" };

const char *override_name(enum override_key k)
{
	return k < OVR__COUNT ? names[k] : "?";
}

/* vSphere hands a blank field over as "" (or as spaces when pasted). */
static char *trimmed(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n ? xstrndup(s, n) : NULL;
}

static int parse_dns(const char *v, uint32_t **out, size_t *n_out)
{
	uint32_t *dns = xcalloc(DNS_MAX, sizeof *dns);
	size_t n = 0;
	char *copy = xstrdup(v), *save = NULL;
	int r = 0;
	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (n == DNS_MAX) {
			r = -E2BIG;
			break;
		}
		if (ipv4_parse(tok, &dns[n]) < 0 || dns[n] == 0) {
			r = -EINVAL;
			break;
		}
		n++;
	}
	free(copy);
	if (r == 0 && n == 0)
		r = -EINVAL;
	if (r < 0) {
		free(dns);
		return r;
	}
	*out = dns;
	*n_out = n;
	return 0;
}

/* The one syntax check of a value, used when the OVF environment is
 * applied, when the applied set is saved and when it is read back, so a
 * value accepted once is never refused later (a tab between kiln.dns
 * servers used to pass here and fail when saved). NULL or the reason. */
static const char *value_syntax(enum override_key k, const char *v)
{
	uint32_t a, *dns;
	size_t n;
	switch (k) {
	case OVR_HOSTNAME: return name_check_hostname(v);
	case OVR_ADDRESS:
	case OVR_GATEWAY: return ipv4_parse(v, &a) < 0 ? "not an IPv4 address" : NULL;
	case OVR_DNS:
		switch (parse_dns(v, &dns, &n)) {
		case 0: free(dns); return NULL;
		case -E2BIG: return "more than " TEXT(DNS_MAX) " servers";
		default: return "expected IPv4 addresses separated by commas or spaces (at most " TEXT(DNS_MAX) ")";
		}
	default: return "unknown property";
	}
}

void overrides_from_ovf(const struct ovf_env *e, struct overrides *o)
{
	memset(o, 0, sizeof *o);
	for (int k = 0; k < OVR__COUNT; k++) {
		char key[32];
		snprintf(key, sizeof key, "kiln.%s", names[k]);
		const char *v = ovfenv_get(e, key);
		if (v)
			o->value[k] = trimmed(v);
	}
}

void overrides_free(struct overrides *o)
{
	for (int k = 0; k < OVR__COUNT; k++)
		free(o->value[k]);
	memset(o, 0, sizeof *o);
}

bool overrides_empty(const struct overrides *o)
{
	for (int k = 0; k < OVR__COUNT; k++)
		if (o->value[k])
			return false;
	return true;
}

bool overrides_equal(const struct overrides *a, const struct overrides *b)
{
	for (int k = 0; k < OVR__COUNT; k++) {
		const char *x = a->value[k], *y = b->value[k];
		if ((x == NULL) != (y == NULL) || (x && strcmp(x, y)))
			return false;
	}
	return true;
}

/* One "name=value" line per override. */
int overrides_save(const char *path, const struct overrides *o)
{
	if (overrides_empty(o))
		return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	struct buf b;
	buf_init(&b);
	for (int k = 0; k < OVR__COUNT; k++) {
		if (!o->value[k])
			continue;
		if (value_syntax(k, o->value[k])) {
			buf_free(&b);
			return -EINVAL;
		}
		buf_printf(&b, "%s=%s\n", names[k], o->value[k]);
	}
	int r = write_file_atomic(path, b.data, b.len, 0600);   /* of the OVF environment: root-only */
	buf_free(&b);
	return r;
}

int overrides_load(const char *path, struct overrides *o)
{
	memset(o, 0, sizeof *o);
	char *text = NULL;
	size_t len;
	int r = read_input(path, INPUT_NOFOLLOW, 4096, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (strlen(text) != len)
		r = -EBADMSG;
	for (char *line = text, *next; r == 0 && *line; line = next) {
		next = strchr(line, '\n');
		if (!next) {
			r = -EBADMSG;
			break;
		}
		*next++ = '\0';
		char *eq = strchr(line, '=');
		int k = 0;
		if (eq) {
			*eq = '\0';
			while (k < OVR__COUNT && strcmp(line, names[k]))
				k++;
		}
		if (!eq || k == OVR__COUNT || o->value[k] || !eq[1] || value_syntax(k, eq + 1)) {
			r = -EBADMSG;
			break;
		}
		o->value[k] = xstrdup(eq + 1);
	}
	free(text);
	if (r < 0)
		overrides_free(o);
	return r;
}

static bool allowed(const struct model *m, enum override_key k)
{
	for (size_t i = 0; i < m->esxi.n_overridable; i++)
		if (!strcmp(m->esxi.overridable[i], names[k]))
			return true;
	return false;
}

static int refuse(char *why, size_t why_len, enum override_key k, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int refuse(char *why, size_t why_len, enum override_key k, const char *value, const char *fmt, ...)
{
	char reason[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	snprintf(why, why_len, "OVF property kiln.%s=\"%.64s\" refused: %s", names[k], value, reason);
	return -EINVAL;
}

/* A usable unicast address of the subnet: not its network or broadcast
 * address (except in /31 and /32, which have none). */
static bool host_address_in(const struct subnet *s, uint32_t a)
{
	if (!ipv4_net_contains(&s->cidr, a))
		return false;
	if (s->cidr.prefix >= 31)
		return true;
	return a != s->cidr.addr && a != ipv4_broadcast(&s->cidr);
}

/* Property k's value as a usable address of subnet s. */
static int subnet_address(const struct subnet *s, enum override_key k, const char *value, uint32_t *out, char *why,
			  size_t why_len)
{
	char net[19];
	if (ipv4_parse(value, out) < 0 || !host_address_in(s, *out))
		return refuse(why, why_len, k, value, "not a host address of subnet %s (%s)", s->name,
			      ipv4_net_fmt(&s->cidr, net));
	return 0;
}

int overrides_apply(struct model *m, struct host *h, struct overrides *o, char *why, size_t why_len)
{
	/* What the profile does not allow is dropped here, so o ends up as what
	 * took effect: that is what is saved, compared next boot and shown. */
	for (int k = 0; k < OVR__COUNT; k++)
		if (o->value[k] && !allowed(m, k)) {
			log_warn("OVF property kiln.%s is set but the profile does not let it be overridden "
				 "(esxi.overridable); ignored", names[k]);
			free(o->value[k]);
			o->value[k] = NULL;
		}
	const char *v[OVR__COUNT] = { 0 }, *reason;
	for (int k = 0; k < OVR__COUNT; k++)
		if ((v[k] = o->value[k]) && (reason = value_syntax(k, v[k])))
			return refuse(why, why_len, k, v[k], "%s%s", k == OVR_HOSTNAME ? "host name " : "", reason);
	const struct subnet *s = &m->subnets[h->subnet];

	for (size_t i = 0; v[OVR_HOSTNAME] && i < m->n_hosts; i++)
		if (&m->hosts[i] != h && !strcmp(m->hosts[i].name, v[OVR_HOSTNAME]))
			return refuse(why, why_len, OVR_HOSTNAME, v[OVR_HOSTNAME], "that is host %s of this deployment",
				      m->hosts[i].name);

	uint32_t address = h->dhcp ? 0 : h->address, gateway = s->gateway;
	if ((v[OVR_ADDRESS] || v[OVR_GATEWAY]) && h->n_ethernets) {
		enum override_key k = v[OVR_ADDRESS] ? OVR_ADDRESS : OVR_GATEWAY;
		return refuse(why, why_len, k, v[k],
			      "host %s sets its interfaces in an ethernets: block, which an override cannot edit", h->name);
	}
	int r;
	if (v[OVR_ADDRESS]) {
		if ((r = subnet_address(s, OVR_ADDRESS, v[OVR_ADDRESS], &address, why, why_len)) < 0)
			return r;
		for (size_t i = 0; i < m->n_hosts; i++)
			if (&m->hosts[i] != h && !m->hosts[i].dhcp && m->hosts[i].address == address)
				return refuse(why, why_len, OVR_ADDRESS, v[OVR_ADDRESS], "already the address of host %s",
					      m->hosts[i].name);
	}
	if (v[OVR_GATEWAY]) {
		if ((r = subnet_address(s, OVR_GATEWAY, v[OVR_GATEWAY], &gateway, why, why_len)) < 0)
			return r;
		if (!address)
			return refuse(why, why_len, OVR_GATEWAY, v[OVR_GATEWAY],
				      "host %s takes its address and gateway from DHCP (override kiln.address too)", h->name);
	}
	if (address && gateway && address == gateway) {
		enum override_key k = v[OVR_ADDRESS] ? OVR_ADDRESS : OVR_GATEWAY;
		return refuse(why, why_len, k, v[k], "the host's address and its gateway would be the same");
	}
	uint32_t *dns = NULL;
	size_t n_dns = 0;
	if (v[OVR_DNS] && parse_dns(v[OVR_DNS], &dns, &n_dns) < 0)
		return -EINVAL;   /* value_syntax said yes: cannot happen */

	/* Everything checked: apply. */
	if (v[OVR_HOSTNAME]) {
		free(h->hostname);
		h->hostname = xstrdup(v[OVR_HOSTNAME]);
	}
	if (v[OVR_ADDRESS]) {
		h->address = address;
		h->dhcp = false;
	}
	if (v[OVR_GATEWAY])
		m->subnets[h->subnet].gateway = gateway;
	if (dns) {
		free(m->dns);
		m->dns = dns;
		m->n_dns = n_dns;
	}
	return 0;
}
