/* The resolved deployment model: what a profile means once parsed and
 * validated. The parser (profile_load) produces it, renderers and the seed
 * code consume it, kiln-firstboot rebuilds it from the topology in a seed.
 * Every element remembers where it came from (struct src_pos) so later
 * checks can report file:line:column. All strings are owned by the model. */
#ifndef KILN_MODEL_H
#define KILN_MODEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "profiles/debian.h"
#include "lib/appliance.h"   /* enum role */

#define KILN_SCHEMA_VERSION 1

struct src_pos {
	const char *file;      /* points into model->source_name */
	unsigned line, col;    /* 1-based; 0 when synthesised */
};

/* IPv4 values are host byte order. */
struct ipv4_net {
	uint32_t addr;         /* network address (host bits zero) */
	uint8_t prefix;        /* 0..32 */
};

struct subnet {
	char *name;
	struct ipv4_net cidr;
	uint32_t gateway;      /* 0 = none */
	struct src_pos pos;
};

/* netplan v2 style interface settings (subset; docs/profile.md lists it). */
struct route {
	char *to;              /* "default" or CIDR */
	char *via;             /* IPv4 */
	int metric;            /* -1 = unset */
};
struct ethernet {
	char *id;              /* key under ethernets: */
	char *match_name, *match_mac, *match_driver;   /* NULL = unset */
	char *set_name;
	bool dhcp4;
	char **addresses;  size_t n_addresses;         /* "a.b.c.d/p" */
	struct route *routes; size_t n_routes;
	char **nameservers; size_t n_nameservers;
	char **search;      size_t n_search;
	int mtu;               /* 0 = unset */
	char *macaddress;      /* set MAC, NULL = unset */
	bool optional;
	struct src_pos pos;
};

struct size_spec {
	unsigned vcpus;
	unsigned memory_mib;
	unsigned os_disk_gib;
	unsigned data_disk_gib;    /* 0 = no data disk (app role default) */
};

struct size_preset {
	char *name;                /* small, medium, large, or profile-defined */
	struct size_spec spec;
	struct src_pos pos;
};

/* A rule that picks one disk of a bare-metal host by what the kernel says
 * about it (lib/diskinfo.h); profiles/disk_rule.h matches it. Every key is
 * optional; a rule with none set matches every disk. */
struct disk_rule {
	bool set;                  /* the profile gave this rule */
	bool has_size;
	unsigned size_min_gib, size_max_gib;   /* inclusive, GiB of 2^30 bytes */
	char *model, *serial, *by_path;        /* fnmatch(3) globs; NULL = any */
	int rotational;            /* -1 any, 0 solid state, 1 spinning */
	struct src_pos pos;
};

/* A rule naming one machine (install.machine, a host's own): the installer
 * of a per-role medium installs the host whose rule the machine it runs on
 * matches (profiles/machine_rule.h over lib/machineinfo.h). Every key given
 * must match; at least one is given when set. */
struct machine_rule {
	bool set;
	char *mac;                 /* one of the machine's NICs, lower case "52:54:00:12:34:56"; NULL = any */
	char *dmi_serial;          /* the SMBIOS system serial, exactly; NULL = any */
	char *dmi_uuid;            /* the SMBIOS system UUID, lower case; NULL = any */
	struct src_pos pos;
};

/* install: how the installer media put the host on its disks (docs/profile.md). */
struct install_settings {
	struct machine_rule machine;   /* per host only: which machine is this host */
	struct disk_rule disk;     /* the OS disk */
	struct disk_rule data_disk;/* mysql and minio: the disk kiln-firstboot keeps the data on */
	bool unattended;           /* no countdown on the console */
	bool wipe;                 /* a disk the rule picks may hold old data */
	struct src_pos pos;
};

struct host {
	char *name;                /* also the hostname; FQDN = name.domain */
	char *hostname;            /* system hostname when set at deploy time (OVF kiln.hostname), else NULL = name */
	enum role role;
	size_t subnet;             /* index into model->subnets */
	bool dhcp;
	uint32_t address;          /* 0 when dhcp */
	char *size_preset;         /* name of the preset used */
	struct size_spec size;     /* preset with per-host overrides applied */
	char *replica_of;          /* mysql only: name of the primary, or NULL */
	struct ethernet *ethernets; size_t n_ethernets;   /* optional advanced block */
	struct install_settings install;   /* the profile's install:, then the host's own keys */
	struct src_pos pos;
};

enum endpoint_kind { EP_HOST, EP_ROLE, EP_SUBNET, EP_CIDR };
struct endpoint {
	enum endpoint_kind kind;
	char *name;                /* host/subnet name, role name, or CIDR text */
	struct ipv4_net cidr;      /* EP_CIDR only */
	struct src_pos pos;
};

enum proto { PROTO_TCP, PROTO_UDP };
struct flow {
	struct endpoint from;      /* host, role, subnet or cidr */
	struct endpoint to;        /* host or role */
	uint16_t port;
	enum proto proto;
	struct src_pos pos;
};
/* Frees a list of flows (their endpoint names) and empties it. */
void flows_free(struct flow **flows, size_t *n);

/* roles.minio.buckets[].replicate_to: MinIO's own bucket replication to a
 * bucket on another S3 endpoint (docs/profile.md, "Bucket replication"). */
struct bucket_replica {
	char *endpoint;            /* http(s)://HOST[:PORT] */
	char *bucket;              /* the remote bucket (versioned: MinIO checks) */
	char *region;              /* default "us-east-1" */
	struct src_pos pos;
};

struct bucket {
	char *name;
	bool versioning;
	struct bucket_replica *replicate_to;   /* NULL: not replicated */
	struct src_pos pos;
};

struct env_var {
	char *name;
	char *tmpl;                /* e.g. "mysql://${mysql.user}:${secret.mysql_app_password}@${host.db1}/x" */
	struct src_pos pos;        /* position of the value, for template errors */
};

enum app_service_type { APP_SYSTEMD, APP_CONTAINER };

/* roles.lb.tls: HAProxy ends TLS with the deployment's certificate and
 * speaks TLS again to the app hosts, or passes the TCP stream through. */
enum lb_tls { LB_TLS_TERMINATE, LB_TLS_PASSTHROUGH };

/* roles.mysql.engine: which server the mysql role runs (profiles/mysql_engine.h). */
enum mysql_engine { MYSQL_ENGINE_MARIADB, MYSQL_ENGINE_MYSQL };
/* roles.mysql.cluster: none (default; replica_of may name primaries) or a
 * Galera cluster of every mysql host (profiles/galera.h). */
enum mysql_cluster { MYSQL_CLUSTER_NONE, MYSQL_CLUSTER_GALERA };

struct role_settings {
	struct {
		char *database;
		char *user;
		char **setting_keys; char **setting_values; size_t n_settings;  /* my.cnf [mysqld] */
		bool tls;
		enum mysql_engine engine;   /* default MariaDB (Debian's) */
		enum mysql_cluster cluster; /* default none */
	} mysql;
	struct {
		struct bucket *buckets; size_t n_buckets;
	} minio;
	struct {
		enum app_service_type type;
		char *exec;            /* APP_SYSTEMD: ExecStart command line */
		char *image;           /* APP_CONTAINER: image reference or transport:path */
		char *archive;         /* APP_CONTAINER: an OCI/docker archive on the build machine (as
		                          written: relative to the profile) that kiln build bakes into
		                          the app image; it holds image. NULL: none */
		uint16_t port;         /* where the service listens on localhost; nginx proxies to it */
		struct env_var *env; size_t n_env;
		char **secrets; size_t n_secrets;  /* extra generated secrets the env may use */
		char *tls_cert, *tls_key;          /* operator-supplied PEM paths, or NULL */
		char *server_name;                 /* TLS name; default app host FQDN */
		/* load_balancer.external: the operator's own balancer (a cloud's):
		 * the app hosts' web ports accept only these sources. */
		struct endpoint *lb_external; size_t n_lb_external;
	} app;
	/* roles.lb (docs/profile.md, docs/lb.md): the lb hosts (one or two) in
	 * front of the app hosts; meaningful only when some host has role lb. */
	struct {
		enum lb_tls tls;           /* default LB_TLS_TERMINATE */
		uint32_t virtual_address;  /* two lb hosts: the address keepalived moves; else 0 */
		char *health_check;        /* as written, or NULL: lb_health_path() */
		struct src_pos pos;
	} lb;
};

/* One entry of the profile's `targets:` list: an output kind by name. The
 * outputs are not profiles/' business; the loader checks the names against
 * the list its caller knows (profile.h). */
struct target_name {
	char *name;
	struct src_pos pos;
};

struct esxi_settings {
	char *hardware_version;    /* as written, "vmx-14" default */
	unsigned hw_version;       /* its number, 14: what the OVF descriptor is written from */
	char *network;             /* port group name, default "VM Network" */
	char *disk_controller;     /* "pvscsi" default */
	char *firmware;            /* "efi" (default) or "bios": the VM's firmware */
	bool secure_boot;          /* ask vSphere for UEFI Secure Boot (firmware efi, vmx-13 or later) */
	char **overridable; size_t n_overridable;  /* OVF properties allowed to override: hostname, address, gateway, dns */
};

/* monitoring: (docs/monitoring.md, profiles/monitoring.h): an existing host
 * given the job of Prometheus, Alertmanager and the central journal. What
 * else it implies (exporters, packages, firewall flows) is derived. */
enum receiver_kind { RECEIVER_WEBHOOK, RECEIVER_EMAIL };
struct receiver {
	enum receiver_kind kind;
	char *to;                  /* the webhook URL or the e-mail address */
	struct src_pos pos;
};
struct monitoring_settings {
	char *host;                /* NULL: the profile has no monitoring */
	unsigned retention_days;   /* Prometheus' TSDB retention, default 15 */
	struct endpoint *allow_from; size_t n_allow_from;  /* who reaches the status page and Prometheus' API */
	char *app_health;          /* path of the app's health URL on app hosts, or NULL */
	struct receiver *receivers; size_t n_receivers;
	char *smtp_smarthost;      /* host:port, needed by e-mail receivers */
	char *smtp_from;
	bool smtp_require_tls;     /* default true */
	char *archive_bucket;      /* a bucket of roles.minio for the daily denied-traffic archive, or NULL */
	struct flow *flows; size_t n_flows;  /* derived, not written in the profile: scrapes, log upload, status page */
	struct src_pos pos;
};

/* backup: (docs/backup.md, profiles/backup.h): sealed backups of the
 * MariaDB primaries to a bucket of the deployment's MinIO, kept from the
 * app's key. The section present is backups on. */
enum backup_full_every { BACKUP_FULL_DAILY, BACKUP_FULL_HOURLY, BACKUP_FULL_WEEKLY };
struct backup_settings {
	bool on;
	enum backup_full_every full;   /* when full backups run, default daily */
	unsigned binlog_minutes;       /* binary logs shipped at least this often (the RPO), 1..60, default 5 */
	unsigned keep_days;            /* retention asked for, 1..3650, default 7 */
	char *bucket;                  /* default "<deployment>-backups" */
	char *s3_endpoint;             /* backup.s3: an external S3 endpoint instead of the MinIO hosts, or NULL */
	char *s3_region;               /* backup.s3.region, default "us-east-1" (with s3_endpoint) */
	bool restore;                  /* restore: a fresh primary restores from the bucket at first boot */
	int64_t restore_to;            /* PITR_LATEST (lib/backup_pitr.h) or unix seconds */
	struct flow *flows; size_t n_flows;  /* derived: each MySQL primary to the MinIO hosts' S3 port */
	struct src_pos pos;
};

struct model {
	char *source_name;         /* file the profile came from */
	unsigned schema;           /* KILN_SCHEMA_VERSION */
	char *name;                /* deployment name: [a-z0-9-], <= 32 */
	char *domain;
	struct debian_settings debian;   /* resolved: suite, archives (profiles/debian.h) */
	struct subnet *subnets; size_t n_subnets;
	struct host *hosts; size_t n_hosts;
	uint32_t *dns; size_t n_dns;
	char **dns_search; size_t n_dns_search;
	char **ntp; size_t n_ntp;
	char **ssh_keys; size_t n_ssh_keys;        /* authorized_keys lines */
	struct endpoint *ssh_from; size_t n_ssh_from;  /* subnets or CIDRs */
	struct flow *flows; size_t n_flows;
	struct role_settings roles;
	struct size_preset *sizes; size_t n_sizes;
	struct target_name *targets; size_t n_targets;  /* each once, in the order of the caller's list */
	struct esxi_settings esxi;
	struct monitoring_settings monitoring;
	struct backup_settings backup;
	struct install_settings install;   /* the top-level install: (every host's default) */
};

void model_free(struct model *m);

/* Where a container app's image comes from (docs/profile.md): baked into
 * the app image from service.archive and loaded at first boot; pulled from
 * its registry at first boot; or read by podman itself from a
 * transport:path (oci-archive:/srv/app.tar) on the host. */
enum app_image_source { APP_IMAGE_ARCHIVE, APP_IMAGE_REGISTRY, APP_IMAGE_TRANSPORT };
enum app_image_source app_image_source(const struct model *m);
/* Is image a transport:path (a containers-transports(5) name before the
 * first ':') rather than a reference? */
bool app_image_is_transport(const char *image);

/* ESXi virtual hardware versions ("vmx-NN") that boot an EFI appliance:
 * 11, 13-15, 17-21 (12 and 16 are Workstation-only, 10 and older lack EFI
 * support in OVA tooling). parse: -EINVAL when s is not "vmx-" and digits,
 * -ENOTSUP for another number. */
#define ESXI_HARDWARE_VERSIONS "vmx-11, vmx-13 .. vmx-15 or vmx-17 .. vmx-21"
bool esxi_hardware_version_ok(unsigned v);
int esxi_hardware_version_parse(const char *s, unsigned *out);

/* What the hosts of role r need, the largest of each: vCPUs, memory, OS
 * disk, data disk (mysql and minio only: the app role keeps no data disk, so
 * 0 for it), NIC count (at least 1); the role's images are built to it. */
struct role_sizing {
	unsigned vcpus, memory_mib, os_disk_gib, data_disk_gib, nics;
	size_t n_hosts;
};
void role_sizing(const struct model *m, enum role r, struct role_sizing *out);

/* Lookups; NULL / -1 when absent. */
const struct host *model_find_host(const struct model *m, const char *name);
bool model_has_role(const struct model *m, enum role r);   /* some host has role r */
bool model_has_replica(const struct model *m);             /* some mysql host is a replica */
bool model_has_target(const struct model *m, const char *name);
/* Four or more minio hosts run as one distributed (erasure-coded) MinIO
 * set, one drive each; fewer run separate single-drive servers. */
#define MINIO_DISTRIBUTED_MIN 4
bool model_minio_distributed(const struct model *m);
/* The lb hosts in profile order (at most 2, the profile loader's limit):
 * count, pointers into out[2]. */
size_t model_lb_hosts(const struct model *m, const struct host *out[2]);
/* The path the lb hosts' health checks ask each app host for:
 * roles.lb.health_check, else monitoring.app_health, else "/". */
const char *lb_health_path(const struct model *m);
/* Are the app hosts' web ports (80, 443) behind a balancer (lb hosts or
 * roles.app.load_balancer.external), so reachable only from it? */
bool app_behind_balancer(const struct model *m);
const struct subnet *model_find_subnet(const struct model *m, const char *name);
const struct subnet *model_host_subnet(const struct model *m, const struct host *h);

/* Does endpoint e cover host h? (host by name, role, subnet membership, CIDR) */
bool endpoint_matches_host(const struct model *m, const struct endpoint *e, const struct host *h);

/* IPv4 helpers. parse returns 0 or -EINVAL; format writes into buf[16]/[19]. */
int ipv4_parse(const char *s, uint32_t *out);
int ipv4_net_parse(const char *s, struct ipv4_net *out);  /* rejects host bits set */
/* "a.b.c.d/p" with host bits allowed (interface addresses): 0, -EINVAL on
 * syntax, -ERANGE when the prefix is over 32. */
int ipv4_addr_prefix_parse(const char *s, uint32_t *addr, uint8_t *prefix);
const char *ipv4_fmt(uint32_t a, char buf[16]);
const char *ipv4_net_fmt(const struct ipv4_net *n, char buf[19]);
uint32_t ipv4_netmask(uint8_t prefix);
uint32_t ipv4_broadcast(const struct ipv4_net *n);
bool ipv4_net_contains(const struct ipv4_net *n, uint32_t a);
bool ipv4_net_overlap(const struct ipv4_net *a, const struct ipv4_net *b);

#endif
