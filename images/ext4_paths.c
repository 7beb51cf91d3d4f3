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
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].path);
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
}
