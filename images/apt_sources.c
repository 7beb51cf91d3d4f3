#include "images/apt_sources.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

static void add(struct apt_archives *a, char *uri, const char *image_uri, char *suite, bool security)
{
	a->v = xrealloc(a->v, (a->n + 1) * sizeof *a->v);
	a->v[a->n++] = (struct apt_archive){ .uri = uri, .image_uri = xstrdup(image_uri), .suite = suite,
					     .security = security };
}

/* snapshot.debian.org's scheme: <base>/<archive>/<stamp> */
static char *snap(const struct debian_settings *d, const char *archive)
{
	size_t n = strlen(d->snapshot_mirror);
	while (n && d->snapshot_mirror[n - 1] == '/')
		n--;
	return xasprintf("%.*s/%s/%s", (int)n, d->snapshot_mirror, archive, d->snapshot);
}

void apt_archives_for(const struct debian_settings *d, struct apt_archives *out)
{
	memset(out, 0, sizeof *out);
	out->snapshot = d->snapshot;
	const char *m = d->mirror;
	add(out, d->snapshot ? snap(d, "debian") : xstrdup(m), m, xstrdup(d->suite), false);
	if (d->updates)
		add(out, d->snapshot ? snap(d, "debian") : xstrdup(m), m, xasprintf("%s-updates", d->suite), false);
	if (d->security)
		add(out, d->snapshot ? snap(d, "debian-security") : xstrdup(d->security_mirror), d->security_mirror,
		    xasprintf("%s-security", d->suite), true);
}

void apt_archives_free(struct apt_archives *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].uri);
		free(a->v[i].image_uri);
		free(a->v[i].suite);
	}
	free(a->v);
	memset(a, 0, sizeof *a);
}

char *apt_archive_deb_line(const struct apt_archives *a, size_t i)
{
	return xasprintf("deb %s%s %s " APT_COMPONENT, a->snapshot ? "[check-valid-until=no] " : "", a->v[i].uri,
			 a->v[i].suite);
}

char *apt_archives_deb822(const struct apt_archives *a)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "# Written by kiln from the profile's debian: section (docs/build.md).\n");
	for (size_t i = 0; i < a->n; i++) {
		bool first = true;
		for (size_t j = 0; j < i; j++)
			first &= strcmp(a->v[j].image_uri, a->v[i].image_uri) != 0;
		if (!first)
			continue;
		buf_printf(&b, "\nTypes: deb\nURIs: %s\nSuites:", a->v[i].image_uri);
		for (size_t j = i; j < a->n; j++)
			if (!strcmp(a->v[j].image_uri, a->v[i].image_uri))
				buf_printf(&b, " %s", a->v[j].suite);
		buf_puts(&b, "\nComponents: " APT_COMPONENT "\n");
	}
	return buf_steal(&b);
}

char *apt_archive_url(const struct apt_archive *a, const char *file)
{
	const char *u = a->uri;
	size_t n = strlen(u);
	while (n && u[n - 1] == '/')
		n--;
	if (!strncmp(u, "file:", 5) && strncmp(u, "file://", 7))
		return xasprintf("file://%.*s/dists/%s/%s", (int)(n - 5), u + 5, a->suite, file);
	return xasprintf("%.*s/dists/%s/%s", (int)n, u, a->suite, file);
}
