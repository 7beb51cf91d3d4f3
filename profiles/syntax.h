/* One validator per syntax a profile value is written into verbatim: the
 * app's systemd unit, podman's command line, apt sources, systemd-networkd
 * files and their names, my.cnf and SQL, the app's environment file, root's
 * authorized_keys, the OVF descriptor. docs/profile.md ("Where values go")
 * lists which field lands where.
 *
 * Each returns NULL when s may be written there as it is, else a short
 * reason starting with "must" for a diagnostic. The profile loader calls
 * them at `kiln check` time, so a bad value is reported with
 * FILE:LINE:COLUMN; the renderers call the same function again before
 * writing, as a second line of defence. Names that only ever become host
 * names, domains or file names of kiln's own (hosts, subnets, deployment,
 * buckets, secrets) follow profiles/names.h. */
#ifndef KILN_SYNTAX_H
#define KILN_SYNTAX_H

/* systemd unit (syntax_systemd.c) */
#define SYNTAX_EXEC_MAX 4096
const char *syntax_systemd_exec(const char *s);       /* ExecStart= of the app's service */
const char *syntax_container_image(const char *s);    /* podman run's IMAGE, also in Description= */

/* apt sources (syntax_apt.c) */
#define SYNTAX_URI_MAX 1024
const char *syntax_apt_uri(const char *s);            /* debian.mirror: mmdebstrap's MIRROR */

/* systemd-networkd (syntax_networkd.c) */
#define SYNTAX_IFNAME_MAX 15                           /* IFNAMSIZ - 1 */
#define SYNTAX_NETWORKD_ID_MAX 64
const char *syntax_networkd_id(const char *s);        /* ethernets id: names 10-kiln-<id>.network */
const char *syntax_networkd_ifname(const char *s);    /* [Link] Name=, [Match] Name=<id> */
const char *syntax_networkd_glob(const char *s);      /* [Match] Name=, Driver= patterns */
const char *syntax_networkd_value(const char *s);     /* any other value on a Key= line */

/* MariaDB (syntax_mysql.c) */
#define SYNTAX_MYCNF_VALUE_MAX 1024
const char *syntax_mycnf_option(const char *s);       /* option name in [mysqld] */
const char *syntax_mycnf_value(const char *s);        /* its value */
const char *syntax_sql_identifier(const char *s, unsigned max);   /* database and user names */

/* The app's environment file, read by systemd and podman (syntax_env.c) */
const char *syntax_env_name(const char *s);
const char *syntax_env_value(const char *s);          /* template text of roles.app.env */

/* root's authorized_keys (syntax_ssh.c) */
const char *syntax_authorized_key(const char *s);

/* The OVF descriptor and the ovftool command in the README (syntax_ovf.c) */
#define SYNTAX_OVF_NETWORK_MAX 80
const char *syntax_ovf_network(const char *s);        /* esxi.network: a vSphere port group */

/* Alertmanager's configuration and the agent's health probe (syntax_monitoring.c) */
const char *syntax_http_url(const char *s);           /* monitoring.receivers[].webhook */
const char *syntax_email(const char *s);              /* .email, monitoring.smtp.from */
const char *syntax_smarthost(const char *s);          /* monitoring.smtp.smarthost: HOST:PORT */
const char *syntax_url_path(const char *s);           /* monitoring.app_health */
#endif
