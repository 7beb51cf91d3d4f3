#include "firstboot/pin.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "profiles/names.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pin_set(struct pin *p, const char *deployment, const char *host)
{
	if (!deployment || !host || name_check_simple(deployment, PIN_NAME_MAX) || name_check_simple(host, PIN_NAME_MAX))
		return -EINVAL;
	struct pin n = { 0 };   /* the names may be p's own */
	memcpy(n.deployment, deployment, strlen(deployment));
	memcpy(n.host, host, strlen(host));
	*p = n;
	return 0;
}

bool pin_matches(const struct pin *p, const char *deployment, const char *host)
{
	return !strcmp(p->deployment, deployment) && !strcmp(p->host, host);
}

/* The file is exactly "deployment=<name>\nhost=<name>\n". */
int pin_load(const char *path, struct pin *p)
{
	char *text;
	size_t len;
	int r = read_input(path, INPUT_NOFOLLOW | INPUT_PRIVATE, 256, &text, &len);
	if (r < 0)
		return r;
	char dep[PIN_NAME_MAX + 2], host[PIN_NAME_MAX + 2];
	int used = -1;
	r = -EBADMSG;
	if (strlen(text) == len &&
	    sscanf(text, "deployment=%64[a-z0-9-]\nhost=%64[a-z0-9-]\n%n", dep, host, &used) == 2 &&
	    used == (int)len && text[len - 1] == '\n' && pin_set(p, dep, host) == 0) {
		char canon[2 * PIN_NAME_MAX + 32];
		snprintf(canon, sizeof canon, "deployment=%s\nhost=%s\n", dep, host);
		if (!strcmp(canon, text))
			r = 0;
	}
	free(text);
	return r;
}

int pin_save(const char *path, const struct pin *p)
{
	struct pin check;
	if (pin_set(&check, p->deployment, p->host) < 0)
		return -EINVAL;
	char text[2 * PIN_NAME_MAX + 32];
	int n = snprintf(text, sizeof text, "deployment=%s\nhost=%s\n", p->deployment, p->host);
	return write_file_atomic(path, text, (size_t)n, 0600);
}
