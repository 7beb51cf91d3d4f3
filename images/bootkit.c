/* Kernel, modules and libraries from a rootfs tar (bootkit.h). */
#include "images/bootkit.h"
#include "images/bootchain.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KERNEL_PREFIX "boot/vmlinuz-"
#define MAX_FILE (256u << 20)
#define PROGRAM_MAX (64u << 20)

static const char *const lib_dirs[] = { "usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu", "usr/lib", "lib",
					 "usr/lib64", "lib64", NULL };

struct strv {
	char **v;
	size_t n, cap;
};

static void sv_add(struct strv *s, const char *x)
{
	s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof *s->v);
	s->v[s->n++] = xstrdup(x);
}

static ssize_t sv_find(const struct strv *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], x))
			return (ssize_t)i;
	return -1;
}

static void sv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* What one pass over the tar learnt. */
struct tarmap {
	struct strv links, targets;   /* symlink path -> target */
	struct strv files;            /* regular files */
	struct strv kernels;          /* boot/vmlinuz-* */
	struct strv dep_kver, dep_text, builtin_kver, builtin_text;
};

static void tarmap_free(struct tarmap *t)
{
	sv_free(&t->links);
	sv_free(&t->targets);
	sv_free(&t->files);
	sv_free(&t->kernels);
	sv_free(&t->dep_kver);
	sv_free(&t->dep_text);
	sv_free(&t->builtin_kver);
	sv_free(&t->builtin_text);
}

static const char *norm(const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	return p + strspn(p, "/");
}

static bool starts(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* modules.dep / modules.builtin of usr/lib/modules/KVER/ (or lib/modules). */
static bool module_index(const char *p, const char *file, char *kver, size_t len)
{
	const char *m = starts(p, "usr/lib/modules/") ? p + 16 : starts(p, "lib/modules/") ? p + 12 : NULL;
	if (!m)
		return false;
	const char *slash = strchr(m, '/');
	if (!slash || strcmp(slash + 1, file) || (size_t)(slash - m) >= len)
		return false;
	snprintf(kver, len, "%.*s", (int)(slash - m), m);
	return true;
}

static int read_entry(struct archive *a, struct archive_entry *e, void **data, size_t *len)
{
	la_int64_t size = archive_entry_size(e);
	if (size < 0 || (uint64_t)size > MAX_FILE)
		return -EFBIG;
	*len = (size_t)size;
	*data = xmalloc(*len + 1);
	((char *)*data)[*len] = '\0';
	if (*len && archive_read_data(a, *data, *len) != (la_ssize_t)*len) {
		free(*data);
		return -EIO;
	}
	return 0;
}

/* One pass: with want == NULL map the tar; else capture the files whose
 * paths are in want (data[i] for want->v[i]). */
static int pass(const char *tar, struct tarmap *t, const struct strv *want, void **data, size_t *lens,
		struct bootkit *k)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	int r = archive_read_open_filename(a, tar, 1 << 20) == ARCHIVE_OK ? 0 : -EIO;
	struct archive_entry *e;
	while (r == 0) {
		int h = archive_read_next_header(a, &e);
		if (h == ARCHIVE_EOF)
			break;
		if (h != ARCHIVE_OK) {
			r = -EIO;
			break;
		}
		const char *p = norm(archive_entry_pathname(e));
		mode_t type = archive_entry_filetype(e);
		char kver[128];
		if (want) {
			ssize_t i = type == AE_IFREG ? sv_find(want, p) : -1;
			if (i >= 0 && !data[i])
				r = read_entry(a, e, &data[i], &lens[i]);
			continue;
		}
		if (type == AE_IFLNK) {
			sv_add(&t->links, p);
			sv_add(&t->targets, archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
		} else if (type == AE_IFREG) {
			sv_add(&t->files, p);
			void *d;
			size_t n;
			if (starts(p, KERNEL_PREFIX) && p[strlen(KERNEL_PREFIX)])
				sv_add(&t->kernels, p);
			else if (module_index(p, "modules.dep", kver, sizeof kver) && (r = read_entry(a, e, &d, &n)) == 0) {
				sv_add(&t->dep_kver, kver);
				t->dep_text.v = xgrow(t->dep_text.v, &t->dep_text.cap, t->dep_text.n + 1, sizeof (char *));
				t->dep_text.v[t->dep_text.n++] = d;
			} else if (module_index(p, "modules.builtin", kver, sizeof kver) &&
				   (r = read_entry(a, e, &d, &n)) == 0) {
				sv_add(&t->builtin_kver, kver);
				t->builtin_text.v = xgrow(t->builtin_text.v, &t->builtin_text.cap, t->builtin_text.n + 1,
							  sizeof (char *));
				t->builtin_text.v[t->builtin_text.n++] = d;
			} else if (k && !strcmp(p, BOOTCHAIN_SHIM) && !k->shim)
				r = read_entry(a, e, &k->shim, &k->shim_len);
			else if (k && !strcmp(p, BOOTCHAIN_GRUB_EFI) && !k->grub)
				r = read_entry(a, e, &k->grub, &k->grub_len);
			else if (k && starts(p, BOOTCHAIN_GRUB_PC_DIR) && p[strlen(BOOTCHAIN_GRUB_PC_DIR)] &&
				 !strchr(p + strlen(BOOTCHAIN_GRUB_PC_DIR), '/') && (r = read_entry(a, e, &d, &n)) == 0) {
				k->grub_pc = xrealloc(k->grub_pc, (k->n_grub_pc + 1) * sizeof *k->grub_pc);
				k->grub_pc[k->n_grub_pc++] = (struct bootchain_blob){
					xstrdup(p + strlen(BOOTCHAIN_GRUB_PC_DIR)), d, n };
			}
		}
	}
	if (r < 0)
		log_error("reading %s: %s", tar, archive_error_string(a) ? archive_error_string(a) : strerror(-r));
	archive_read_free(a);
	return r;
}

/* path with every symlink of the tar resolved (directory links too);
 * NULL on a loop. */
static char *resolve(const struct tarmap *t, const char *path)
{
	char *cur = xstrdup(norm(path));
	for (int hops = 0; hops < 40; hops++) {
		bool changed = false;
		for (char *s = cur; ; ) {
			char *slash = strchr(s, '/');
			size_t plen = slash ? (size_t)(slash - cur) : strlen(cur);
			char *prefix = xstrndup(cur, plen);
			ssize_t i = sv_find(&t->links, prefix);
			if (i >= 0) {
				const char *target = t->targets.v[i];
				char *base = xstrdup(prefix), *ls = strrchr(base, '/');
				if (ls)
					*ls = '\0';
				else
					base[0] = '\0';
				char *joined = target[0] == '/' ? xasprintf("%s%s", norm(target), slash ? slash : "")
							      : xasprintf("%s%s%s%s", base, *base ? "/" : "", target,
									  slash ? slash : "");
				free(base);
				free(prefix);
				/* fold "a/../b" and "./" that relative links make */
				struct strv parts = { 0 };
				char *save = NULL;
				for (char *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
					if (!strcmp(c, "."))
						continue;
					if (!strcmp(c, "..")) {
						if (parts.n)
							free(parts.v[--parts.n]);
						continue;
					}
					sv_add(&parts, c);
				}
				struct buf b;
				buf_init(&b);
				buf_puts(&b, "");
				for (size_t k = 0; k < parts.n; k++)
					buf_printf(&b, "%s%s", k ? "/" : "", parts.v[k]);
				sv_free(&parts);
				free(joined);
				free(cur);
				cur = buf_steal(&b);
				changed = true;
				break;
			}
			free(prefix);
			if (!slash)
				break;
			s = slash + 1;
		}
		if (!changed)
			return cur;
	}
	free(cur);
	return NULL;
}

int elf_needs(const void *data, size_t len, char ***needed, size_t *n, char **interp)
{
	*needed = NULL;
	*n = 0;
	*interp = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	Elf *e = elf_memory((char *)data, len);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		elf_end(e);
		return -ENOEXEC;
	}
	size_t phnum = 0;
	elf_getphdrnum(e, &phnum);
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP && ph.p_offset < len &&
		    ph.p_filesz <= len - ph.p_offset && ph.p_filesz > 1)
			*interp = xstrndup((const char *)data + ph.p_offset, ph.p_filesz - 1);
	}
	struct strv v = { 0 };
	bool dynamic = false;
	for (Elf_Scn *s = elf_nextscn(e, NULL); s; s = elf_nextscn(e, s)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		dynamic = true;
		Elf_Data *d = elf_getdata(s, NULL);
		for (size_t k = 0; d && sh.sh_entsize && k < sh.sh_size / sh.sh_entsize; k++) {
			GElf_Dyn dyn;
			if (!gelf_getdyn(d, (int)k, &dyn) || dyn.d_tag != DT_NEEDED)
				continue;
			const char *name = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
			if (name && *name && !strchr(name, '/') && sv_find(&v, name) < 0)
				sv_add(&v, name);
		}
	}
	elf_end(e);
	if (!dynamic) {
		sv_free(&v);
		free(*interp);
		*interp = NULL;
		return -ENOEXEC;
	}
	*needed = v.v;
	*n = v.n;
	return 0;
}

/* ---- modules ---------------------------------------------------------------- */

static void modname(const char *path, char *out, size_t len)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strcspn(b, ".");
	snprintf(out, len, "%.*s", (int)n, b);
	for (char *c = out; *c; c++)
		if (*c == '-')
			*c = '_';
}

/* The modules.dep line of module name: its path and dependencies. */
static bool dep_line(const char *dep, const char *name, struct strv *paths)
{
	char want[128], have[128];
	snprintf(want, sizeof want, "%s", name);
	for (char *c = want; *c; c++)
		if (*c == '-')
			*c = '_';
	for (const char *l = dep; *l; ) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		const char *colon = memchr(l, ':', len);
		if (colon) {
			char *path = xstrndup(l, (size_t)(colon - l));
			modname(path, have, sizeof have);
			if (!strcmp(have, want)) {
				sv_add(paths, path);
				char *deps = xstrndup(colon + 1, len - (size_t)(colon + 1 - l)), *save = NULL;
				for (char *d = strtok_r(deps, " \t", &save); d; d = strtok_r(NULL, " \t", &save))
					sv_add(paths, d);
				free(deps);
				free(path);
				return true;
			}
			free(path);
		}
		l += len + (nl ? 1 : 0);
	}
	return false;
}

static bool builtin(const char *text, const char *name)
{
	char want[128], have[128];
	snprintf(want, sizeof want, "%s", name);
	for (char *c = want; *c; c++)
		if (*c == '-')
			*c = '_';
	for (const char *l = text; l && *l; ) {
		const char *nl = strchr(l, '\n');
		char *line = xstrndup(l, nl ? (size_t)(nl - l) : strlen(l));
		modname(line, have, sizeof have);
		free(line);
		if (!strcmp(have, want))
			return true;
		l = nl ? nl + 1 : NULL;
	}
	return false;
}

/* Load order: for each wanted module its dependencies (modules.dep lists
 * them deepest last), then itself; each once. */
static void module_order(const char *dep, const char *bi, const char *const *want,
			 const char *moddir, struct strv *order, struct bootkit *k)
{
	for (size_t i = 0; want[i]; i++) {
		struct strv line = { 0 };
		if (!dep_line(dep, want[i], &line)) {
			bool in = bi && builtin(bi, want[i]);
			char ***v = in ? &k->builtin : &k->missing;
			size_t *n = in ? &k->n_builtin : &k->n_missing;
			*v = xrealloc(*v, (*n + 1) * sizeof **v);
			(*v)[(*n)++] = xstrdup(want[i]);
			continue;
		}
		for (size_t j = line.n; j-- > 0; ) {
			char *full = xasprintf("%s/%s", moddir, line.v[j]);
			if (sv_find(order, full) < 0)
				sv_add(order, full);
			free(full);
		}
		sv_free(&line);
	}
}

/* A compressed module (.ko.xz, .ko.zst) as the plain .ko finit_module
 * takes; libarchive's raw reader does the decompression. */
static int decompress(void **data, size_t *len)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	struct archive_entry *e;
	struct buf b;
	buf_init(&b);
	int r = archive_read_open_memory(a, *data, *len) == ARCHIVE_OK && archive_read_next_header(a, &e) == ARCHIVE_OK
			? 0 : -EIO;
	char chunk[65536];
	la_ssize_t n;
	while (r == 0 && (n = archive_read_data(a, chunk, sizeof chunk)) > 0) {
		buf_append(&b, chunk, (size_t)n);
		if (b.len > MAX_FILE)
			r = -EFBIG;
	}
	if (r == 0 && n < 0)
		r = -EIO;
	archive_read_free(a);
	if (r < 0) {
		buf_free(&b);
		return r;
	}
	free(*data);
	*len = b.len;
	*data = buf_steal(&b);
	return 0;
}

/* A library name -> its file in the tar (symlinks resolved), or NULL. */
static char *find_lib(const struct tarmap *t, const char *name)
{
	for (size_t i = 0; lib_dirs[i]; i++) {
		char *p = xasprintf("%s/%s", lib_dirs[i], name), *real = resolve(t, p);
		free(p);
		if (real && sv_find(&t->files, real) >= 0)
			return real;
		free(real);
	}
	return NULL;
}

/* Capture the files of paths (the tar's) in one pass. */
static int capture(const char *tar, const struct strv *paths, void ***data, size_t **lens)
{
	*data = xcalloc(paths->n + 1, sizeof **data);
	*lens = xcalloc(paths->n + 1, sizeof **lens);
	int r = pass(tar, NULL, paths, *data, *lens, NULL);
	for (size_t i = 0; r == 0 && i < paths->n; i++)
		if (!(*data)[i])
			r = log_error_errno(ENOENT, "%s: %s vanished between two reads", tar, paths->v[i]);
	return r;
}

static void free_captured(void **data, size_t *lens, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(data[i]);
	free(data);
	free(lens);
}

/* The program and its libraries: names resolved in the tar, read, their
 * own DT_NEEDED followed, until nothing new is needed. */
static int add_program(const char *tar, const struct tarmap *t, const char *program, const char *prog_path,
		       struct initramfs *f)
{
	char *prog;
	size_t plen;
	int r = read_file(program, PROGRAM_MAX, &prog, &plen);
	if (r < 0)
		return log_error_errno(r, "cannot read %s", program);
	struct strv names = { 0 }, done = { 0 };
	char **need, *interp;
	size_t nn;
	if ((r = elf_needs(prog, plen, &need, &nn, &interp)) < 0) {
		free(prog);
		return log_error_errno(r, "%s is not a dynamically linked ELF program", program);
	}
	initramfs_add_file_owned(f, prog_path, 0755, prog, plen);
	for (size_t i = 0; i < nn; i++) {
		sv_add(&names, need[i]);
		free(need[i]);
	}
	free(need);
	char *interp_path = interp ? xstrdup(norm(interp)) : NULL;
	free(interp);
	while (r == 0 && names.n > done.n) {
		struct strv paths = { 0 }, dest = { 0 };
		for (size_t i = done.n; i < names.n; i++) {
			char *real = find_lib(t, names.v[i]);
			if (!real) {
				r = log_error_errno(ENOENT, "%s needs %s, which the role's rootfs does not have", program,
						    names.v[i]);
				break;
			}
			sv_add(&paths, real);
			char *d = xasprintf("usr/lib/x86_64-linux-gnu/%s", names.v[i]);
			sv_add(&dest, d);
			free(d);
			free(real);
		}
		size_t first_new = done.n;
		for (size_t i = first_new; i < names.n; i++)
			sv_add(&done, names.v[i]);
		void **data = NULL;
		size_t *lens = NULL;
		if (r == 0)
			r = capture(tar, &paths, &data, &lens);
		for (size_t i = 0; r == 0 && i < paths.n; i++) {
			if (elf_needs(data[i], lens[i], &need, &nn, &interp) == 0) {
				for (size_t k = 0; k < nn; k++) {
					if (sv_find(&names, need[k]) < 0)
						sv_add(&names, need[k]);
					free(need[k]);
				}
				free(need);
				free(interp);
			}
			if (!initramfs_has(f, dest.v[i])) {
				initramfs_add_file_owned(f, dest.v[i], 0755, data[i], lens[i]);
				data[i] = NULL;
			}
		}
		if (data)
			free_captured(data, lens, paths.n);
		sv_free(&paths);
		sv_free(&dest);
	}
	/* the loader at the path the program names (PT_INTERP) */
	if (r == 0 && interp_path) {
		char *real = resolve(t, interp_path);
		struct strv one = { 0 };
		void **data = NULL;
		size_t *lens = NULL;
		if (!real || sv_find(&t->files, real) < 0)
			r = log_error_errno(ENOENT, "the role's rootfs has no %s (the ELF interpreter of %s)", interp_path,
					    program);
		else {
			sv_add(&one, real);
			if ((r = capture(tar, &one, &data, &lens)) == 0) {
				initramfs_add_file_owned(f, interp_path, 0755, data[0], lens[0]);
				data[0] = NULL;
			}
			if (data)
				free_captured(data, lens, 1);
		}
		sv_free(&one);
		free(real);
	}
	if (r == 0 && !initramfs_has(f, "lib"))
		initramfs_add_symlink(f, "lib", "usr/lib");
	free(interp_path);
	sv_free(&names);
	sv_free(&done);
	return r;
}

static const char *kver_of(const char *kernel_path)
{
	return kernel_path + strlen(KERNEL_PREFIX);
}

int bootkit_collect(const char *tar, const char *const *want, const char *program, const char *prog_path,
		    struct initramfs *f, struct bootkit *k)
{
	memset(k, 0, sizeof *k);
	struct tarmap t = { 0 };
	int r = pass(tar, &t, NULL, NULL, NULL, k);
	if (r < 0)
		goto out;
	const char *best = NULL;
	for (size_t i = 0; i < t.kernels.n; i++)
		if (!best || strverscmp(kver_of(t.kernels.v[i]), kver_of(best)) > 0)
			best = t.kernels.v[i];
	if (!best) {
		r = log_error_errno(ENOENT, "%s has no kernel (/" KERNEL_PREFIX "*)", tar);
		goto out;
	}
	k->kver = xstrdup(kver_of(best));
	ssize_t di = sv_find(&t.dep_kver, k->kver), bi = sv_find(&t.builtin_kver, k->kver);
	if (di < 0) {
		r = log_error_errno(ENOENT, "%s has no modules.dep for kernel %s", tar, k->kver);
		goto out;
	}
	/* the directory modules.dep paths are relative to: where it was found */
	char *probe = xasprintf("usr/lib/modules/%s/modules.dep", k->kver);
	char *moddir = sv_find(&t.files, probe) >= 0 ? xasprintf("usr/lib/modules/%s", k->kver)
						       : xasprintf("lib/modules/%s", k->kver);
	free(probe);
	struct strv order = { 0 }, files = { 0 };
	module_order(t.dep_text.v[di], bi >= 0 ? t.builtin_text.v[bi] : NULL, want, moddir, &order, k);
	free(moddir);
	sv_add(&files, best);
	for (size_t i = 0; i < order.n; i++) {
		char *real = resolve(&t, order.v[i]);
		sv_add(&files, real ? real : order.v[i]);
		free(real);
	}
	void **data = NULL;
	size_t *lens = NULL;
	r = capture(tar, &files, &data, &lens);
	if (r == 0) {
		k->kernel = data[0];
		k->kernel_len = lens[0];
		data[0] = NULL;
	}
	for (size_t i = 0; r == 0 && i < order.n; i++) {
		char *path = xstrdup(order.v[i]);
		char *dot = strstr(path, ".ko.");
		if (dot && (r = decompress(&data[i + 1], &lens[i + 1])) < 0) {
			log_error_errno(r, "%s: cannot decompress %s", tar, order.v[i]);
			free(path);
			break;
		}
		if (dot)
			dot[3] = '\0';
		initramfs_add_file_owned(f, path, 0644, data[i + 1], lens[i + 1]);
		data[i + 1] = NULL;
		k->modules = xrealloc(k->modules, (k->n_modules + 1) * sizeof *k->modules);
		k->modules[k->n_modules++] = path;
	}
	if (data)
		free_captured(data, lens, files.n);
	sv_free(&order);
	sv_free(&files);
	if (r == 0 && program)
		r = add_program(tar, &t, program, prog_path, f);
out:
	tarmap_free(&t);
	if (r < 0)
		bootkit_free(k);
	return r;
}

void bootkit_free(struct bootkit *k)
{
	free(k->kver);
	free(k->kernel);
	free(k->shim);
	free(k->grub);
	for (size_t i = 0; i < k->n_grub_pc; i++) {
		free((char *)k->grub_pc[i].name);
		free((void *)k->grub_pc[i].data);
	}
	free(k->grub_pc);
	for (size_t i = 0; i < k->n_modules; i++)
		free(k->modules[i]);
	free(k->modules);
	for (size_t i = 0; i < k->n_missing; i++)
		free(k->missing[i]);
	free(k->missing);
	for (size_t i = 0; i < k->n_builtin; i++)
		free(k->builtin[i]);
	free(k->builtin);
	memset(k, 0, sizeof *k);
}
