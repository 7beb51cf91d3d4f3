/* AWS credentials from the environment or the shared credentials file; see aws_creds.h. */
#include "lib/aws_creds.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void wipe_free(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

void aws_creds_free(struct aws_creds *c)
{
	free(c->access_key);
	wipe_free(c->secret_key);
	wipe_free(c->session_token);
	free(c->source);
	memset(c, 0, sizeof *c);
}

/* Printable ASCII without spaces: what AWS keys and tokens are made of. Also
 * keeps CR/LF out of the HTTP headers they end up in. */
static bool token_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s <= 0x20 || *s > 0x7e)
			return false;
	return true;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

int aws_creds_parse(const char *path, const char *text, const char *profile, struct aws_creds *c)
{
	memset(c, 0, sizeof *c);
	char *copy = xstrdup(text);
	bool in = false, found = false;
	unsigned line = 0;
	int r = 0;
	for (char *l = copy, *next; l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = 0;
		line++;
		l = trim(l);
		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			char *end = strchr(l, ']');
			if (!end || *trim(end + 1)) {
				r = log_error_errno(EINVAL, "%s:%u: malformed section header", path, line);
				goto out;
			}
			*end = 0;
			in = !strcmp(trim(l + 1), profile);
			found |= in;
			continue;
		}
		if (!in)
			continue;
		char *eq = strchr(l, '=');
		if (!eq) {
			r = log_error_errno(EINVAL, "%s:%u: expected KEY = VALUE", path, line);
			goto out;
		}
		*eq = 0;
		char *k = trim(l), *v = trim(eq + 1);
		char **slot = !strcmp(k, "aws_access_key_id") ? &c->access_key
			    : !strcmp(k, "aws_secret_access_key") ? &c->secret_key
			    : !strcmp(k, "aws_session_token") ? &c->session_token : NULL;
		if (!slot)
			continue;   /* region, output, ... belong to other tools */
		if (!token_ok(v)) {
			/* Never echo the value: it may be the secret. */
			r = log_error_errno(EINVAL, "%s:%u: %s is empty or holds spaces or control characters", path,
					    line, k);
			goto out;
		}
		wipe_free(*slot);
		*slot = xstrdup(v);
	}
	if (!found) {
		r = -ENOENT;
		goto out;
	}
	if (!c->access_key || !c->secret_key) {
		r = log_error_errno(ENOKEY, "%s: profile [%s] lacks %s", path, profile,
				    c->access_key ? "aws_secret_access_key" : "aws_access_key_id");
		goto out;
	}
	c->source = xasprintf("%s [%s]", path, profile);
out:
	sodium_memzero(copy, strlen(text));
	free(copy);
	if (r < 0)
		aws_creds_free(c);
	return r;
}

static int from_env(struct aws_creds *c)
{
	const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
	const char *tok = getenv("AWS_SESSION_TOKEN");
	if (!ak && !sk)
		return -ENOENT;
	if (!ak || !sk)
		return log_error_errno(ENOKEY, "%s is set but %s is not", ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
				       ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	if (!token_ok(ak) || !token_ok(sk) || (tok && *tok && !token_ok(tok)))
		return log_error_errno(EINVAL, "AWS credentials in the environment are empty or hold spaces or "
					       "control characters");
	c->access_key = xstrdup(ak);
	c->secret_key = xstrdup(sk);
	c->session_token = tok && *tok ? xstrdup(tok) : NULL;
	c->source = xstrdup("the environment");
	return 0;
}

int aws_creds_load(struct aws_creds *c)
{
	memset(c, 0, sizeof *c);
	int r = from_env(c);
	if (r != -ENOENT)
		return r;
	const char *env_path = getenv("AWS_SHARED_CREDENTIALS_FILE");
	const char *home = getenv("HOME");
	char *path = env_path && *env_path ? xstrdup(env_path) : home && *home ? path_join(home, ".aws/credentials") : NULL;
	const char *profile = getenv("AWS_PROFILE");
	if (!profile || !*profile)
		profile = "default";
	if (!path)
		return log_error_errno(ENOKEY, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
	char *text = NULL;
	size_t len;
	r = read_file(path, 1 << 20, &text, &len);
	if (r == -ENOENT) {
		log_error_errno(ENOKEY, "no AWS credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY unset and no %s",
				path);
		r = -ENOKEY;
		goto out;
	}
	if (r < 0) {
		log_error_errno(r, "cannot read %s", path);
		goto out;
	}
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & 077))
		log_warn("%s can be read by group or others (chmod 600 it)", path);
	r = aws_creds_parse(path, text, profile, c);
	if (r == -ENOENT) {
		log_error_errno(ENOKEY, "no AWS credentials: %s has no [%s] profile", path, profile);
		r = -ENOKEY;
	}
out:
	if (text) {
		sodium_memzero(text, len);
		free(text);
	}
	free(path);
	return r;
}
