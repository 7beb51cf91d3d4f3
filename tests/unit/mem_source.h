/* A backup_source_fn over memory that hands out at most step bytes a read
 * (0: no limit), so readers meet short reads: shared by the backup object's
 * unit tests and fuzz harnesses. */
#ifndef KILN_TESTS_MEM_SOURCE_H
#define KILN_TESTS_MEM_SOURCE_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

struct mem {
	const uint8_t *p;
	size_t len, off, step;
};

static ssize_t source_mem(void *ud, void *data, size_t len)
{
	struct mem *m = ud;
	size_t k = m->len - m->off;
	if (k > len)
		k = len;
	if (m->step && k > m->step)
		k = m->step;
	memcpy(data, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}
#endif
