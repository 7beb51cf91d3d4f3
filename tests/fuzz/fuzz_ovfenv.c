/* libFuzzer: the OVF environment is input from the hypervisor (an ISO or
 * guestinfo): any document must parse or be refused, and whatever kiln.*
 * overrides it carries must be applied to a real model or refused with a
 * reason — never crash, leak or hang. The same bytes also go through the
 * EC2 response reader (ec2_xml_find), the other XML kiln reads from a
 * network peer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ec2/ec2_register.h"
#include "firstboot/overrides.h"
#include "lib/log.h"
#include "profiles/profile.h"
#include "targets/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(enum log_level lvl, const char *msg, void *ud) { (void)lvl; (void)msg; (void)ud; }

/* Two subnets, a static and a DHCP host, an ethernets block: every branch
 * of overrides_apply is reachable. */
static const char profile[] =
	"kiln: 1\n"
	"deployment: {name: acme, domain: acme.internal}\n"
	"subnets:\n"
	"  - {name: app, cidr: 10.0.0.0/29, gateway: 10.0.0.6}\n"
	"  - {name: data, cidr: 10.0.1.0/28, gateway: 10.0.1.1}\n"
	"hosts:\n"
	"  - {name: app1, role: app, subnet: app, address: 10.0.0.2}\n"
	"  - {name: db1, role: mysql, subnet: data, address: 10.0.1.2}\n"
	"  - {name: minio1, role: minio, subnet: data, address: dhcp}\n"
	"dns: {servers: [10.0.0.1]}\n"
	"roles: {app: {service: {type: systemd, exec: /bin/true, port: 8000}}}\n"
	"esxi: {overridable: [hostname, address, gateway, dns]}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_set_sink(quiet, NULL);
	char id[32];
	ec2_xml_find((const char *)data, size, "imageId", id, sizeof id);

	struct ovf_env env;
	if (ovfenv_parse((const char *)data, size, &env) < 0)
		return 0;
	struct overrides o;
	overrides_from_ovf(&env, &o);
	ovfenv_free(&env);

	struct model m;
	struct diags d = { 0 };
	if (profile_load_buffer("fuzz.yaml", profile, sizeof profile - 1, target_profile_names(), &m, &d) < 0)
		abort();   /* the fixed profile must load, or nothing below is fuzzed */
	for (size_t i = 0; i < m.n_hosts; i++) {
		char why[300];
		overrides_apply(&m, &m.hosts[i], &o, why, sizeof why);
	}
	model_free(&m);
	diags_free(&d);
	overrides_free(&o);
	return 0;
}
