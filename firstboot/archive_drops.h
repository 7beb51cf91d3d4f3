/* monitoring.archive_drops (docs/monitoring.md): once a day the monitoring
 * host puts the day's denied traffic — every host's `kiln-drop:` lines from
 * the central journal (/var/log/journal/remote) — into the profile's bucket
 * as kiln-drops/<deployment>/<YYYY-MM-DD>.log.gz, with the archive writer's
 * credential (secrets minio_archive_*; its policy allows s3:PutObject into
 * that bucket and nothing else). kiln-archive-drops.timer runs it. */
#ifndef KILN_FB_ARCHIVE_DROPS_H
#define KILN_FB_ARCHIVE_DROPS_H
#include <stdint.h>

#define ARCHIVE_MAX_BYTES (128u << 20)   /* a day's drop lines, before compression */

/* day: "YYYY-MM-DD" (UTC), or NULL for yesterday. Below root ("/" on the
 * host). Logs its errors; 0 or -errno. */
int archive_drops_run(const char *root, const char *day);
/* "YYYY-MM-DD" -> Unix time of its midnight UTC; -EINVAL for anything else. */
int archive_day_parse(const char *day, int64_t *midnight);
#endif
