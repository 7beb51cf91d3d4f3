/* Internal to the profile loader: typed access to the YAML tree with a
 * diagnostic for every mismatch. Each getter returns true when the value was
 * present and valid; a wrong value is reported and leaves *out unchanged. */
#ifndef KILN_SCHEMA_H
#define KILN_SCHEMA_H
#include <stdbool.h>
#include "profiles/model.h"
#include "profiles/profile.h"
#include "profiles/yaml_tree.h"

/* No list or mapping in a profile needs more entries; the bound keeps every
 * pairwise check (duplicates, overlaps) cheap on hostile input. */
#define PROFILE_MAX_ITEMS 1024

struct ctx {
	struct model *m;
	struct diags *d;
	const char *file;      /* == m->source_name */
	const char *src;       /* the profile text (for precise columns inside values) */
	size_t src_len;
	bool subnets_bad;      /* subnets: was unusable; don't blame hosts for it */
	const char *const *targets;   /* names `targets:` may use (profile.h), or NULL */
};

void err_at(struct ctx *c, const struct ynode *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
struct src_pos pos_of(struct ctx *c, const struct ynode *n);

bool is_null(const struct ynode *n);
/* n must be a mapping whose keys are all in `allowed` (NULL-terminated). */
bool expect_map(struct ctx *c, const struct ynode *n, const char *what, const char *const *allowed);
bool expect_seq(struct ctx *c, const struct ynode *n, const char *what);   /* also <= PROFILE_MAX_ITEMS */
/* A mapping used as a dictionary (sizes, settings, env, ethernets): type and size. */
bool expect_dict(struct ctx *c, const struct ynode *n, const char *what);
/* Required key present? Reports "missing required key" at the mapping. */
bool require(struct ctx *c, const struct ynode *map, const char *key, const char *what);

bool get_str(struct ctx *c, const struct ynode *map, const char *key, char **out);
bool get_uint(struct ctx *c, const struct ynode *map, const char *key, unsigned min, unsigned max, unsigned *out);
bool get_bool(struct ctx *c, const struct ynode *map, const char *key, bool *out);
/* A list of strings (a single scalar is refused: the schema says list). */
bool get_strv(struct ctx *c, const struct ynode *map, const char *key, char ***out, size_t *n);

bool scalar_str(struct ctx *c, const struct ynode *n, const char *what, char **out);
bool scalar_uint(struct ctx *c, const struct ynode *n, const char *what, unsigned min, unsigned max, unsigned *out);

/* Addresses with a precise diagnostic (syntax, prefix > 32, host bits set). */
bool scalar_ipv4(struct ctx *c, const struct ynode *n, const char *what, uint32_t *out);
bool scalar_cidr(struct ctx *c, const struct ynode *n, const char *what, struct ipv4_net *out);

/* Sections, in the order profile_load runs them (later ones use earlier results). */
void parse_header(struct ctx *c, const struct ynode *root);          /* kiln, deployment */
void parse_debian(struct ctx *c, const struct ynode *root);
void parse_subnets(struct ctx *c, const struct ynode *root);
void parse_sizes(struct ctx *c, const struct ynode *root);
void parse_hosts(struct ctx *c, const struct ynode *root);
void parse_services(struct ctx *c, const struct ynode *root);        /* dns, ntp, ssh */
void parse_flows(struct ctx *c, const struct ynode *root);
void parse_roles(struct ctx *c, const struct ynode *root);
void parse_targets(struct ctx *c, const struct ynode *root);         /* targets, esxi */
/* install: (profiles/section_install.c): the top-level default, a host's
 * own keys over it, and the checks that need every host. */
void install_defaults(struct install_settings *s);
void parse_install_top(struct ctx *c, const struct ynode *root);
void parse_install_host(struct ctx *c, const struct ynode *n, struct host *h);
void check_install(struct ctx *c);
void parse_ethernets(struct ctx *c, const struct ynode *n, struct host *h);
bool parse_endpoint(struct ctx *c, const struct ynode *n, struct endpoint *e, bool from);
/* A list of subnet names and CIDRs (ssh.allow_from, monitoring.allow_from)
 * into a malloc'd endpoint array; what names the list in diagnostics. */
void parse_source_nets(struct ctx *c, const struct ynode *l, const char *what, struct endpoint **out, size_t *n);
void parse_monitoring(struct ctx *c, const struct ynode *root);     /* after flows and roles */
void parse_backup(struct ctx *c, const struct ynode *root);         /* after roles */
#endif
