/* The appliance contract: what `kiln build` puts into an image and
 * kiln-firstboot expects to find there, and the names both sides agree on
 * (roles, units, labels). Both binaries include this header; each fact is
 * spelled here and nowhere else in C. The agent's units
 * (firstboot/units/) repeat some paths in their own syntax;
 * tests/unit/test_lib_appliance.c holds them to these values. */
#ifndef KILN_APPLIANCE_H
#define KILN_APPLIANCE_H
#include <stddef.h>

/* The roles an appliance can have ("app", "mysql", "minio", "lb"): the
 * profile's `role:`, the image's KILN_ROLE_FILE, a seed's role= field. */
enum role { ROLE_APP, ROLE_MYSQL, ROLE_MINIO, ROLE_LB, ROLE__COUNT };
const char *role_name(enum role r);            /* "?" when out of range */
int role_from_name(const char *s);             /* enum role or -EINVAL */
/* Does a host of role r keep its data on a data disk? (mysql, minio) */
int role_keeps_data(enum role r);

/* Written into every image by kiln build. */
#define KILN_ETC             "/etc/kiln"
#define KILN_ROLE_FILE       KILN_ETC "/role"          /* "<role>\n", 0644 */
#define KILN_DEPLOYMENT_FILE KILN_ETC "/deployment"    /* "<deployment>\n", 0644 */
#define KILN_OPERATOR_PUB    KILN_ETC "/operator.pub"  /* minisign public key, 0644 */
#define KILN_ROLE_KEY        KILN_ETC "/role.key"      /* the role's X25519 key, 0600 */
#define KILN_FIRSTBOOT_BIN   "/usr/sbin/kiln-firstboot"
#define KILN_UNIT_DIR        "/usr/lib/systemd/system"
#define KILN_WANTS_DIR       "/etc/systemd/system"     /* <target>.wants/<unit> links */

/* The agent's units, enabled as systemctl would from their [Install]
 * sections: each is linked into <wanted_by>.wants. Early first. */
#define KILN_UNIT_EARLY      "kiln-firstboot-early.service"
#define KILN_UNIT_LATE       "kiln-firstboot.service"
struct kiln_unit {
	const char *name;
	const char *wanted_by;
};
#define KILN_UNITS_N 2
extern const struct kiln_unit kiln_units[KILN_UNITS_N];

/* A container app's image, baked in by kiln build from the profile's
 * service.archive (an OCI or docker archive, as given) with its sha256
 * ("<hex>  app-image.tar\n", sha256sum's format); kiln-firstboot loads it
 * into podman at first boot. */
#define KILN_APP_ARCHIVE     "/usr/share/kiln/app-image.tar"
#define KILN_APP_ARCHIVE_SHA KILN_APP_ARCHIVE ".sha256"

/* Where a host's seed can come from besides its platform's datasource: a
 * file in the image, or an ISO 9660 medium with this label holding "seed". */
#define KILN_SEED_FILE       KILN_ETC "/seed"
#define KILN_SEED_LABEL      "KILN_SEED"

/* Written by kiln-firstboot on the host. */
#define KILN_SECRETS_DIR     KILN_ETC "/secrets"       /* one 0600 file per secret */
#define KILN_STATE_DIR       "/var/lib/kiln"
#define KILN_STATUS_NAME     "status.json"             /* in KILN_STATE_DIR: every step's outcome */
#define KILN_RUN_LOCK_NAME   ".run.lock"               /* in KILN_STATE_DIR: flock(2)ed by the run going (firstboot/run_lock.h) */
#define KILN_DATA_LABEL      "kiln-data"               /* the data disk's ext4 label */

/* Backups of a MySQL host (docs/backup.md), when the profile has backup:.
 * The operator's backup public key comes in the seed as a public file (so
 * under /etc/kiln/tls with the certificates); the agent's "backup" step
 * writes the conf and the timers; `kiln-firstboot backup full|binlogs`
 * records each run in KILN_BACKUP_STATUS_NAME, which `status` shows. */
#define KILN_BACKUP_PUB_FILE "backup.pub"              /* the seed's public file */
#define KILN_BACKUP_PUB      KILN_ETC "/tls/" KILN_BACKUP_PUB_FILE
#define KILN_BACKUP_CONF     KILN_ETC "/backup.conf"   /* key=value, 0644: no secret */
#define KILN_BACKUP_KEY_SECRET "backup_key"            /* the seed's secret with backup.restore: backup.key */
#define KILN_BACKUP_RESTORE_DONE "backup-restore.done" /* in KILN_STATE_DIR: this host restored (or had data) */
#define KILN_BACKUP_STATUS_NAME "backup.json"          /* in KILN_STATE_DIR: each kind's last run */
#define KILN_BACKUP_BINLOG_STATE "backup-binlogs.state" /* in KILN_STATE_DIR: the last binary log shipped */
#define KILN_UNIT_BACKUP_FULL    "kiln-backup-full"    /* .service and .timer */
#define KILN_UNIT_BACKUP_BINLOGS "kiln-backup-binlogs" /* .service and .timer */
#endif
