#include "installer/keystore.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRIVATE_MAX (64u << 10)

int keystore_check_dir(const char *state)
{
	int r = check_private(state, 1);
	if (r == -EPERM)
		return log_error_errno(r, "state directory %s is open to group/others or not ours; fix with: chmod 700 %s",
				       state, state);
	if (r == -ENOENT)
		return log_error_errno(r, "state directory %s does not exist (run 'kiln keys init' first)", state);
	if (r < 0)
		return log_error_errno(r, "state directory %s", state);
	return 0;
}

int keystore_prepare_dir(const char *dir)
{
	if (access(dir, F_OK) == 0)
		return keystore_check_dir(dir);
	int r = mkdir_p(dir, 0700);
	if (r < 0)
		return log_error_errno(r, "cannot create %s", dir);
	return keystore_check_dir(dir);
}

int keystore_read_private(const char *path, char **data, size_t *len)
{
	int r = check_private(path, 0);
	if (r == -EPERM)
		return log_error_errno(r, "%s is readable by group/others or not ours; refusing to use it; fix with: chmod 600 %s",
				       path, path);
	if (r < 0)
		return log_error_errno(r, "cannot use %s", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return log_error_errno(errno, "cannot open %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size > PRIVATE_MAX) {
		close(fd);
		return log_error_errno(EFBIG, "%s is too large", path);
	}
	size_t n = (size_t)st.st_size, got = 0;
	char *b = sodium_malloc(n + 1);
	if (!b)
		abort();
	while (got < n) {
		ssize_t k = read(fd, b + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = k < 0 ? errno : EIO;
			close(fd);
			sodium_free(b);
			return log_error_errno(e, "cannot read %s", path);
		}
		got += (size_t)k;
	}
	close(fd);
	b[n] = '\0';
	*data = b;
	if (len)
		*len = n;
	return 0;
}

void keystore_free_private(char *data)
{
	if (data)
		sodium_free(data);
}

/* The key files a state directory holds. */
enum key_file { OPERATOR_KEY, OPERATOR_PUB, ROLE_KEY, ROLE_PUB };

/* The one load path of every key loader: read the file (a private one only
 * if its mode is private), parse it into out, log a failure naming the path. */
static int load_key_file(const char *path, enum key_file kind, void *out)
{
	bool private = kind == OPERATOR_KEY || kind == ROLE_KEY;
	char *t;
	size_t n;
	int r;
	if (private)
		r = keystore_read_private(path, &t, &n);   /* logs its own errors */
	else if ((r = read_file(path, 4096, &t, &n)) < 0)
		log_error_errno(r, kind == ROLE_PUB ? "cannot read %s (run 'kiln keys init')"
						    : "cannot read public key %s", path);
	if (r < 0)
		return r;
	const char *why = NULL;   /* NULL: minisign_strerror says why */
	switch (kind) {
	case OPERATOR_KEY:
		r = minisign_key_parse(t, n, out);
		break;
	case OPERATOR_PUB:
		r = minisign_pub_parse(t, n, out);
		break;
	case ROLE_KEY:
		r = role_key_parse(t, n, out);
		why = "malformed role key file";
		break;
	case ROLE_PUB:
		r = role_pub_parse(t, n, out);
		why = "malformed role public key file";
		break;
	}
	if (private)
		keystore_free_private(t);
	else
		free(t);
	if (r < 0)
		log_error("%s: %s", path, why ? why : minisign_strerror(r));
	return r;
}

int keystore_load_operator_key(const char *state, struct minisign_key **out)
{
	char *p = path_join(state, "operator.key");
	int r = load_key_file(p, OPERATOR_KEY, out);
	free(p);
	return r;
}

int keystore_load_pub_file(const char *path, struct minisign_pub *out)
{
	return load_key_file(path, OPERATOR_PUB, out);
}

int keystore_load_operator_pub(const char *state, struct minisign_pub *out)
{
	char *p = path_join(state, "operator.pub");
	int r = load_key_file(p, OPERATOR_PUB, out);
	free(p);
	return r;
}

int keystore_load_role_key(const char *state, const char *role, struct role_keypair **out)
{
	char *p = xasprintf("%s/roles/%s.key", state, role);
	int r = load_key_file(p, ROLE_KEY, out);
	free(p);
	return r;
}

int keystore_load_role_pub(const char *state, const char *role, uint8_t pk[32])
{
	char *p = xasprintf("%s/roles/%s.pub", state, role);
	int r = load_key_file(p, ROLE_PUB, pk);
	free(p);
	return r;
}

int keystore_deployment(const char *state, char **out)
{
	char *p = path_join(state, "deployment"), *t;
	size_t n;
	int r = read_file(p, 256, &t, &n);
	if (r < 0) {
		log_error_errno(r, "cannot read %s (run 'kiln keys init')", p);
		free(p);
		return r;
	}
	free(p);
	if (n && t[n - 1] == '\n')
		t[--n] = '\0';
	if (n == 0 || strchr(t, '\n')) {
		free(t);
		return log_error_errno(EBADMSG, "%s/deployment is malformed", state);
	}
	*out = t;
	return 0;
}
