/* See apt_key.h. */
#include "images/apt_key.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WHERE "(docs/build.md, \"Third-party apt repositories\")"

/* The messages below say what is wrong themselves: no strerror appended. */
#define REFUSE(err, ...) (log_error(__VA_ARGS__), -(err))

/* The primary keys' fingerprints in gpg's --with-colons listing: each "pub"
 * record is followed by its "fpr" record (field 10). Returns how many
 * primary keys there are; *pinned_seen whether one of them is fpr. */
static size_t primaries(const char *listing, const char *fpr, bool *pinned_seen)
{
	size_t n = 0;
	bool after_pub = false;
	*pinned_seen = false;
	for (const char *l = listing; *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		if (len >= 4 && !strncmp(l, "pub:", 4)) {
			n++;
			after_pub = true;
		} else if (after_pub && len >= 4 && !strncmp(l, "fpr:", 4)) {
			const char *f = l;
			for (int i = 0; i < 9 && f; i++) {
				f = memchr(f, ':', len - (size_t)(f - l));
				f = f ? f + 1 : NULL;
			}
			if (f && (size_t)(l + len - f) >= 40 && !strncmp(f, fpr, 40) && f[40] == ':')
				*pinned_seen = true;
			after_pub = false;
		}
		l = end ? end + 1 : l + len;
	}
	return n;
}

static int check_fingerprint(const char *role, const struct recipe_apt_repo *a)
{
	/* gpg wants a home; an empty private one keeps the operator's out of it. */
	_cleanup_free_ char *home = xasprintf("%s/kiln-gpg-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(home))
		return log_error_errno(errno, "cannot create %s", home);
	const char *argv[] = { "gpg", "--homedir", home, "--batch", "--no-tty", "--with-colons", "--show-keys",
			       a->key, NULL };
	struct buf out, err;
	buf_init(&out);
	buf_init(&err);
	int st = spawn_capture(argv, &out, &err, 0);
	rm_rf(home);
	int e = 0;
	bool pinned = false;
	size_t n = st == 0 ? primaries(out.data ? out.data : "", a->fingerprint, &pinned) : 0;
	if (st == -ENOENT)
		e = REFUSE(ENOENT, "[%s] apt repository '%s': checking its key's fingerprint needs gpg "
				    "(Debian package gpg)", role, a->name);
	else if (st != 0 || n == 0)
		e = REFUSE(EINVAL, "[%s] apt repository '%s': %s holds no OpenPGP key gpg can read%s%s; put "
				    "the key with fingerprint %s there %s", role, a->name, a->key, err.len ? ": " : "",
				    err.len ? strtok(err.data, "\n") : "", a->fingerprint, WHERE);
	else if (!pinned || n > 1)
		e = REFUSE(EPERM, "[%s] apt repository '%s': %s holds %s, not only the pinned key %s: every "
				    "key there could sign the repository; put that one key there %s", role, a->name, a->key,
				    !pinned ? "another key" : "more than one key", a->fingerprint, WHERE);
	buf_free(&out);
	buf_free(&err);
	return e;
}

int apt_repo_key_check(const char *role, const struct recipe_apt_repo *a)
{
	_cleanup_free_ char *pin = a->fingerprint ? xasprintf(" (fingerprint %s)", a->fingerprint) : xstrdup("");
	int fd = open_input(a->key, 0, SIZE_MAX);
	if (fd < 0)
		return REFUSE(-fd, "[%s] apt repository '%s': key file %s %s: put the repository's signing "
				       "key%s there as a binary OpenPGP keyring %s", role, a->name, a->key,
				       input_strerror(fd), pin, WHERE);
	char head[16] = { 0 };
	ssize_t n = read(fd, head, sizeof head - 1);
	int rerr = n < 0 ? errno : ENODATA;
	close(fd);
	if (n <= 0)
		return REFUSE(rerr, "[%s] apt repository '%s': key file %s %s", role,
				       a->name, a->key, n < 0 ? "cannot be read" : "is empty");
	if (!strncmp(head, "-----BEGIN", 10))
		return REFUSE(EINVAL, "[%s] apt repository '%s': key file %s is ASCII-armoured; apt wants "
				       "a binary keyring: gpg --dearmor <%s >KEYRING %s", role, a->name, a->key,
				       a->key, WHERE);
	return a->fingerprint ? check_fingerprint(role, a) : 0;
}
