/* Path normalisation and the path -> inode map used by the ext4 writer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "images/ext4_internal.h"
#include "lib/xalloc.h"

int path_normalize(const char *in, bool allow_absolute, char **out)
{
	if (in[0] == '/') {
		if (!allow_absolute)
			return -EPERM;
		while (*in == '/')
			in++;
	}
	size_t n = strlen(in);
	if (n >= 4096)
		return -EINVAL;
	char *o = xmalloc(n + 1);
	size_t len = 0;
	const char *s = in;
	while (*s) {
		const char *e = strchrnul(s, '/');
		size_t cl = (size_t)(e - s);
		if (cl == 2 && s[0] == '.' && s[1] == '.') {
			free(o);
			return -EPERM;
		}
		if (cl > 0 && !(cl == 1 && s[0] == '.')) {
			if (cl > EXT2_NAME_LEN) {
				free(o);
				return -ENAMETOOLONG;
			}
			if (len)
				o[len++] = '/';
			memcpy(o + len, s, cl);
			len += cl;
		}
		s = *e ? e + 1 : e;
	}
	o[len] = 0;
	*out = o;
	return 0;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;            /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void pathmap_init(struct pathmap *m)
{
	m->cap = 1024;
	m->used = 0;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
}

void pathmap_free(struct pathmap *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->slots[i].path);
		free(m->slots[i].link);
	}
	free(m->slots);
	m->slots = NULL;
	m->cap = m->used = 0;
}

static struct pathmap_slot *find_slot(struct pathmap_slot *slots, size_t cap, const char *path)
{
	size_t i = hash_str(path) & (cap - 1);
	while (slots[i].path && strcmp(slots[i].path, path) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

struct pathmap_slot *pathmap_get(struct pathmap *m, const char *path)
{
	struct pathmap_slot *s = find_slot(m->slots, m->cap, path);
	return s->path ? s : NULL;
}

void pathmap_put(struct pathmap *m, const char *path, ext2_ino_t ino, uint16_t mode)
{
	if ((m->used + 1) * 10 > m->cap * 7) {
		size_t ncap = m->cap * 2;
		struct pathmap_slot *ns = xcalloc(ncap, sizeof(*ns));
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].path)
				*find_slot(ns, ncap, m->slots[i].path) = m->slots[i];
		free(m->slots);
		m->slots = ns;
		m->cap = ncap;
	}
	struct pathmap_slot *s = find_slot(m->slots, m->cap, path);
	if (!s->path) {
		s->path = xstrdup(path);
		m->used++;
	}
	s->ino = ino;
	s->mode = mode;
	free(s->link);
	s->link = NULL;
}

void pathmap_set_link(struct pathmap *m, const char *path, const char *target)
{
	struct pathmap_slot *s = pathmap_get(m, path);
	if (s) {
		free(s->link);
		s->link = target ? xstrdup(target) : NULL;
	}
}

/* Append component c (not "." or "..") to the resolved prefix in *cur. */
static void push(char **cur, const char *c, size_t n)
{
	size_t l = strlen(*cur);
	*cur = xrealloc(*cur, l + n + 2);
	if (l)
		(*cur)[l++] = '/';
	memcpy(*cur + l, c, n);
	(*cur)[l + n] = 0;
}

int path_resolve_parents(struct pathmap *m, const char *path, char **out)
{
	if (!*path) {
		*out = xstrdup("");
		return 0;
	}
	char *cur = xstrdup("");
	char *rest = xstrdup(path);
	size_t pos = 0;
	int hops = 0;
	for (;;) {
		const char *c = rest + pos;
		const char *slash = strchr(c, '/');
		if (!slash)                       /* the last component: not followed */
			break;
		size_t n = (size_t)(slash - c);
		pos += n + 1;
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			char *up = strrchr(cur, '/');
			if (up)
				*up = 0;
			else
				cur[0] = 0;
			continue;
		}
		size_t l = strlen(cur);
		push(&cur, c, n);
		struct pathmap_slot *s = pathmap_get(m, cur);
		if (!s || !LINUX_S_ISLNK(s->mode) || !s->link)
			continue;
		if (++hops > 40) {
			free(cur);
			free(rest);
			return -ELOOP;
		}
		/* replace the component by the link's target and go on from there */
		char *nrest = xasprintf("%s/%s", s->link, rest + pos);
		cur[l] = 0;                       /* back to the link's directory */
		if (s->link[0] == '/')
			cur[0] = 0;
		free(rest);
		rest = nrest;
		pos = 0;
	}
	const char *last = rest + pos;
	if (!*last || strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
		free(cur);
		free(rest);
		return -EINVAL;
	}
	push(&cur, last, strlen(last));
	free(rest);
	*out = cur;
	return 0;
}
