/* render_host(): every file one host needs, and writing them under a root. */
#include "profiles/render.h"
#include "profiles/render_internal.h"
#include "profiles/syntax.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void rendered_files_free(struct rendered_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].path);
		free(f->v[i].data);
	}
	free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}

void rendered_files_add(struct rendered_files *f, const char *path, unsigned mode, struct buf *b)
{
	f->v = xgrow(f->v, &f->cap, f->n + 1, sizeof(*f->v));
	size_t len = b->len;
	char *data = b->data ? buf_steal(b) : xstrdup("");
	f->v[f->n++] = (struct rendered_file){ .path = xstrdup(path), .mode = mode, .data = data, .len = len };
}

const struct rendered_file *rendered_files_find(const struct rendered_files *f, const char *path)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].path, path))
			return &f->v[i];
	return NULL;
}

/* Names go into files and paths; refuse what would break either. */
static bool name_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return false;
	return true;
}

static bool line_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 && *p != '\t')
			return false;
	return true;
}

int render_host(const struct model *m, const struct host *h, struct rendered_files *out)
{
	if (!name_ok(h->name) || (h->hostname && !name_ok(h->hostname)) || !name_ok(m->domain) || !m->name ||
	    !line_ok(m->name))
		return log_error_errno(EINVAL, "cannot render host '%s': host name or domain is not [a-z0-9-.]",
				       h->name ? h->name : "?");
	if (h->subnet >= m->n_subnets)
		return log_error_errno(EINVAL, "host %s: subnet index out of range", h->name);
	for (size_t i = 0; i < m->n_hosts; i++)
		if (!name_ok(m->hosts[i].name))
			return log_error_errno(EINVAL, "host %s: peer %zu has a bad name", h->name, i + 1);
	for (size_t i = 0; i < m->n_ssh_keys; i++)
		if (syntax_authorized_key(m->ssh_keys[i]))
			return log_error_errno(EINVAL, "host %s: SSH key %zu is not one public key line", h->name, i + 1);

	struct buf b;
	buf_init(&b);
	int r = render_network(m, h, out);
	if (r < 0)
		return r;
	r = render_nftables(m, h, &b);
	if (r < 0) {
		buf_free(&b);
		return r;
	}
	/* Executable, like Debian's own: the shebang lets it run as a script. */
	rendered_files_add(out, "/etc/nftables.conf", 0755, &b);
	render_hostname(m, h, &b);
	rendered_files_add(out, "/etc/hostname", 0644, &b);
	render_hosts(m, h, &b);
	rendered_files_add(out, "/etc/hosts", 0644, &b);
	if (m->n_ssh_keys) {
		render_authorized_keys(m, &b);
		rendered_files_add(out, "/root/.ssh/authorized_keys", 0600, &b);
	}
	return render_monitoring(m, h, out);
}

int rendered_files_write(const struct rendered_files *f, const char *root)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct rendered_file *rf = &f->v[i];
		if (rf->path[0] != '/' || strstr(rf->path, "/../") || strstr(rf->path, "/./"))
			return -EINVAL;
		char *full = xasprintf("%s%s", strcmp(root, "/") ? root : "", rf->path);
		char *slash = strrchr(full, '/');
		int r = 0;
		if (slash && slash != full) {
			*slash = '\0';
			r = mkdir_p(full, (rf->mode & 077) ? 0755 : 0700);
			*slash = '/';
		}
		if (r == 0)
			r = write_file_atomic(full, rf->data, rf->len, rf->mode);
		free(full);
		if (r < 0)
			return r;
	}
	return 0;
}
