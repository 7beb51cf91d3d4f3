/* A local directory of backup objects (lib/backup_object.h): a bucket or
 * prefix copied down (`aws s3 sync s3://bucket/prefix DIR`) or objects a test
 * wrote. Every regular file below it whose name ends in BACKUP_SUFFIX is one
 * object, named by its path below the directory ("db1/full/x.kbk"), which is
 * the name its header must carry; symbolic links are not followed, other
 * files are not objects. What `kiln backup list|verify|restore --from DIR`
 * does, in library code a host restoring later can use too. Does not log. */
#ifndef KILN_BACKUP_LOCAL_H
#define KILN_BACKUP_LOCAL_H
#include <stddef.h>
#include <stdint.h>
#include "lib/backup_object.h"
#include "lib/buf.h"

#define BACKUP_SUFFIX ".kbk"
#define BACKUP_DIR_MAX_DEPTH 16

struct backup_entry {
	char *name;                 /* malloc'd */
	uint64_t object_bytes;
	uint64_t plain_bytes;       /* what the size and header say (valid when status is 0) */
	struct backup_meta meta;    /* the unauthenticated header */
	int status;                 /* 0, or why the header is refused (BACKUP_E_*, -errno) */
};

/* Every object below dir, sorted by name, each with its header read (no key
 * needed; BACKUP_E_NAME for a header naming another object, BACKUP_E_TRUNCATED
 * for a size no whole object has). -errno if dir cannot be read. */
int backup_dir_list(const char *dir, struct backup_entry **out, size_t *n);
void backup_entries_free(struct backup_entry *e, size_t n);

/* Opens object name below dir for reading: -EINVAL for a name that is not an
 * object's (backup_name_valid, the suffix), -ENOENT if there is none. */
int backup_dir_open(const char *dir, const char *name, int *fd);

/* Reads the whole object and authenticates it; no plaintext leaves memory. */
int backup_verify_fd(int fd, const char *name, const struct role_keypair *key, struct backup_meta *meta,
		     uint64_t *plain_bytes);

/* Where restore writes object name for --out out: out itself, or, when out is
 * a directory, the object's last path segment without the suffix inside it.
 * malloc'd. */
char *backup_restore_target(const char *out, const char *name);

/* Decrypts object name into target (backup_restore_target), 0600: through a
 * temporary file beside it that is renamed into place (never over an
 * existing file: -EEXIST, checked before anything is read too) only once
 * the whole object authenticated, and removed on any failure. *at says
 * which side failed. */
enum backup_side { BACKUP_AT_OBJECT, BACKUP_AT_OUTPUT, BACKUP_AT_PROGRAM };
int backup_restore_fd(int fd, const char *name, const struct role_keypair *key, const char *target,
		      struct backup_meta *meta, uint64_t *plain_bytes, enum backup_side *at);

/* Decrypts object name straight into an extracting program (mbstream -x),
 * with no plaintext file and no second pass: argv (NULL-terminated; a new
 * private (0700) staging directory beside dest, "<dir>/.<base>.extract-XXXXXX",
 * is appended as its last argument) reads the plaintext on stdin as it is
 * opened, each chunk authenticated, while the rest is still being read. The
 * staging directory becomes dest (renamed; dest must not exist, or be an
 * empty directory: -EEXIST, checked before anything is read) only if the
 * whole object authenticated to its final chunk AND the program read all of
 * it and exited 0; on any failure it is removed with everything in it, so
 * nothing of an object that does not authenticate is left. *at says which
 * side failed: BACKUP_AT_OBJECT (a refusal, BACKUP_E_*; it wins over the
 * program's failure, which a cut stream causes), BACKUP_AT_PROGRAM (*status
 * its exit status, 0..255 or 128+signal, -EIO; -EPIPE when it exited 0
 * without reading to the end; -ENOENT when it is not installed), or
 * BACKUP_AT_OUTPUT. err (may be NULL) gets the program's stderr (its last
 * 64 KiB). The caller ignores SIGPIPE. */
/* mbstream -x -C: extracts an xbstream (a full backup) into the directory
 * backup_extract_fd appends; the one argv both restores use. */
extern const char *const backup_mbstream_extract[];

int backup_extract_fd(int fd, const char *name, const struct role_keypair *key, const char *const *argv,
		      const char *dest, struct backup_meta *meta, uint64_t *plain_bytes, enum backup_side *at,
		      int *status, struct buf *err);
#endif
