/* Scope-bound clean-up, systemd style: a variable declared with one of these
 * is released when it goes out of scope, so a function keeps early returns
 * and needs no goto ladder of free() calls.
 *   _cleanup_free_   char *p = NULL;    free(p)
 *   _cleanup_erase_  char *key = NULL;  a secret: the whole allocation is
 *                                       wiped (sodium_memzero), then freed
 *   _cleanup_close_  int fd = -1;       close(fd) when fd >= 0
 *   _cleanup_fclose_ FILE *f = NULL;    fclose(f) when f is set
 * Always initialise such a variable. TAKE_PTR(p) hands the pointer out and
 * leaves NULL behind (nothing is freed); TAKE_FD(fd) does the same for a
 * file descriptor (leaves -1). GNU C (gcc, clang). */
#ifndef KILN_CLEANUP_H
#define KILN_CLEANUP_H
#include <malloc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(fn) __attribute__((cleanup(fn)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

/* For malloc'd secrets: malloc_usable_size covers the whole block, so a
 * caller need not remember how many bytes held the secret. */
static inline void erase_and_freep(void *p)
{
	void *m = *(void **)p;
	if (m) {
		sodium_memzero(m, malloc_usable_size(m));
		free(m);
	}
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_erase_ _cleanup_(erase_and_freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

#define TAKE_PTR(p) ({ __typeof__(p) take_ptr_ = (p); (p) = NULL; take_ptr_; })
#define TAKE_FD(fd) ({ int take_fd_ = (fd); (fd) = -1; take_fd_; })
#endif
