/* Point-in-time restore of a MariaDB host from its backup objects
 * (docs/backup.md#point-in-time-restore): the newest full backup of the host
 * at or before the target time, then the binary logs shipped after it,
 * replayed from the full backup's binary-log position up to the target.
 *
 * The planning (which objects, in which order) is pure and is what the unit
 * tests check; the doing (extract the full backup as it is decrypted and
 * prepare it, decrypt the binary logs, turn them into SQL with mariadb-binlog
 * --stop-datetime) spawns MariaDB's tools without a shell. Used by the
 * operator's `kiln backup restore --host` and by a MySQL host restoring at
 * first boot (backup.restore in the profile). Logs progress (log_info); on
 * failure *why says what failed, naming the object or tool. */
#ifndef KILN_BACKUP_PITR_H
#define KILN_BACKUP_PITR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/rolekey.h"

#define PITR_LATEST INT64_MAX      /* the target "latest": every binary log shipped */
#define PITR_FILE_MAX 255

/* What a host's object name says: HOST/full/YYYYMMDDTHHMMSSZ.kbk or
 * HOST/binlog/YYYYMMDDTHHMMSSZ-FILE.kbk (firstboot/backup.h's names).
 * -EINVAL for any other name. */
struct backup_name_info {
	char host[256];
	bool full;
	int64_t stamp;                 /* the name's UTC time, unix seconds */
	char file[PITR_FILE_MAX + 1];  /* binary log file name ("" for a full) */
};
int backup_name_info_parse(const char *name, struct backup_name_info *out);

/* A restore target: "latest" (PITR_LATEST), "YYYY-MM-DDTHH:MM:SSZ" or
 * "YYYY-MM-DD HH:MM:SS" (both UTC). -EINVAL otherwise. */
int backup_target_parse(const char *s, int64_t *t);
/* As backup_target_parse writes it ("latest" or the Z form). */
void backup_target_str(int64_t t, char out[32]);

/* Which objects a restore of host to target needs, from every object name
 * there is (names need not be sorted; other hosts' and other names are
 * ignored): the newest full backup whose time is at or before target, and
 * every binary log of host shipped at or after it, ordered by shipment
 * then file. The binary logs before the one the full backup stands at are
 * dropped later (backup_pitr_chain), once the backup says where it stands.
 * -ENOENT with *why when host has no full backup at or before target. */
struct pitr_plan {
	char *full;                    /* object names, malloc'd */
	int64_t full_stamp;
	char **binlogs; size_t n_binlogs;
	int64_t *binlog_stamps;
	char **binlog_files;           /* each one's binary log file name */
};
int backup_pitr_plan(char *const *names, size_t n, const char *host, int64_t target, struct pitr_plan *p,
		     char *why, size_t why_len);
void backup_pitr_plan_free(struct pitr_plan *p);

/* mariadb-backup's binlog info file: "FILE<TAB>POSITION[<TAB>GTID]".
 * -EBADMSG for anything else. */
int backup_binlog_info_parse(const char *text, size_t len, char file[PITR_FILE_MAX + 1], uint64_t *pos);

/* Where an extracted backup in dir keeps that file: MariaDB 11 names it
 * mariadb_backup_binlog_info (MDEV-18931), 10.x xtrabackup_binlog_info.
 * The path of the one that exists (the 11 name first; the 10.x name when
 * neither does, for the error message); free() it. */
char *backup_binlog_info_path(const char *dir);

/* The binary logs to replay: from the one named file (the full backup's
 * position) on, consecutive (file numbers without a hole, one basename),
 * up to and including the first shipped after target (it holds the
 * target's events; later ones cannot). [*from, *to) of p->binlogs. No
 * binary logs at all is an empty chain (the full backup alone). -ENOENT
 * with *why when file was never shipped although later ones were (purged
 * before shipping), -EBADMSG when a log in the chain is missing. */
int backup_pitr_chain(const struct pitr_plan *p, const char *file, int64_t target, size_t *from, size_t *to,
		      char *why, size_t why_len);

/* Retention (backup.keep_days, docs/backup.md#pruning): which of host's
 * objects may go at time now. Every point in time of the last keep_days
 * stays restorable: the newest full backup at or before now - keep_days
 * (the base; without one, the oldest full backup) and everything shipped
 * since it stay; older objects of host go, and only those older than
 * keep_days. The newest full backup always stays. Names that are not the
 * hosts' (backup_name_info_parse) never go. del[i] is set for each name to
 * delete; *n_del counts them. -ENOENT with *why when host has no full
 * backup at all: nothing may go then. */
int backup_prune_plan(char *const *names, size_t n, const char *host, int64_t now, unsigned keep_days, bool *del,
		      size_t *n_del, char *why, size_t why_len);

/* Doing it. dir: a local directory of objects (a bucket copied down, or what
 * a restoring host downloaded); work: a directory to create, 0700, for the
 * decrypted binary logs (removed by backup_pitr_cleanup); datadir: where the
 * restored data directory goes (must not exist, or be empty; its parent
 * must exist).
 *   1. the full backup decrypted straight into mbstream -x, extracting into a
 *      private staging directory beside datadir that becomes datadir only
 *      once the whole object authenticated and mbstream exited 0
 *      (backup_extract_fd): a refused one stops the restore with nothing in
 *      datadir and no staging directory left
 *   2. the binary logs of the chain from its position each decrypted and
 *      authenticated whole into work before any is used, the full backup
 *      prepared (mariadb-backup --prepare)
 *   3. the binary logs from its position turned into work/replay.sql
 *      (mariadb-binlog --start-position --stop-datetime=target+1 s, in UTC)
 * Then the caller starts a server on datadir and feeds it replay.sql
 * (backup_pitr_replay). */
struct pitr_run {
	const char *dir, *work, *datadir, *host;
	const struct role_keypair *key;
	int64_t target;
	/* filled in */
	char full[1024];               /* the full backup used */
	char start_file[PITR_FILE_MAX + 1];
	uint64_t start_pos;
	size_t n_replayed;             /* binary logs in replay.sql */
	char last_binlog[1024];        /* the last one's object name, "" for none */
	char sql[1024];                /* work/replay.sql */
	char why[4096];
};
int backup_pitr_prepare(struct pitr_run *x);
/* Feeds the replay SQL to a server: client_argv (the mariadb client with
 * its socket and user, NULL-terminated) reads it on stdin. */
int backup_pitr_replay(struct pitr_run *x, const char *const *client_argv);
/* backup_pitr_replay into a temporary mariadbd on datadir: no network, no
 * binary log, its socket in work, grant checks off until the replay's
 * client turns them on (FLUSH PRIVILEGES as its first statement), so it
 * needs no password; stopped (SIGTERM, a clean shutdown) at the end. Runs
 * as root when root (--user=root): the caller chowns the result. */
int backup_pitr_replay_temp(struct pitr_run *x);
/* Removes work and everything in it (decrypted objects, replay.sql). */
void backup_pitr_cleanup(struct pitr_run *x);
#endif
