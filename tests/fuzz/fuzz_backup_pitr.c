/* libFuzzer: what a restore and a prune make of text the object store or a
 * backup hands them (lib/backup_pitr.h, lib/s3_objects.h): a ListObjectsV2
 * page (the store's XML), object names from a listing, a restore time, and
 * mariadb-backup's xtrabackup_binlog_info from a restored backup; then the
 * plan, the chain and the prune over the names. The input's first byte
 * picks the part. Whatever the input: no crash, leak or hang; every key a
 * listing hands out is one a backup name may be made of; a plan names only
 * objects of the host, its chain stays within the plan, and a prune never
 * deletes the newest full backup. */
#include "lib/backup_pitr.h"
#include "lib/s3_objects.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_key(const char *k)
{
	if (!*k)
		abort();
	for (const char *p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '_' || *p == '-' || *p == '/'))
			abort();
}

/* The names: one per line. */
static void plans(const char *text, size_t len)
{
	char *copy = strndup(text, len);
	char *names[64];
	size_t n = 0;
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l && n < 64; l = strtok_r(NULL, "\n", &save))
		names[n++] = l;
	struct backup_name_info ni;
	for (size_t i = 0; i < n; i++)
		(void)backup_name_info_parse(names[i], &ni);
	static const int64_t targets[] = { 0, 1796320800, PITR_LATEST };
	char why[1024];
	for (size_t t = 0; t < 3; t++) {
		struct pitr_plan p;
		if (backup_pitr_plan(names, n, "db1", targets[t], &p, why, sizeof why) == 0) {
			if (backup_name_info_parse(p.full, &ni) < 0 || strcmp(ni.host, "db1") || !ni.full)
				abort();
			size_t from, to;
			for (size_t i = 0; i < p.n_binlogs && i < 4; i++)
				if (backup_pitr_chain(&p, p.binlog_files[i], targets[t], &from, &to, why, sizeof why) == 0 &&
				    (from > to || to > p.n_binlogs))
					abort();
			backup_pitr_plan_free(&p);
		}
		bool del[64];
		size_t nd;
		if (backup_prune_plan(names, n, "db1", targets[t] == PITR_LATEST ? 1900000000 : targets[t], 7, del, &nd,
				      why, sizeof why) == 0) {
			/* the newest full backup of db1 stays */
			int64_t newest = INT64_MIN;
			size_t at = 0;
			for (size_t i = 0; i < n; i++)
				if (backup_name_info_parse(names[i], &ni) == 0 && !strcmp(ni.host, "db1") && ni.full &&
				    ni.stamp > newest) {
					newest = ni.stamp;
					at = i;
				}
			if (del[at])
				abort();
		}
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	if (memchr(text, '\0', len))
		return 0;
	switch (data[0] % 4) {
	case 0: {
		char **keys = NULL, *next = NULL;
		size_t n = 0, cap = 0;
		if (s3_list_page_parse(text, len, &keys, &n, &cap, &next) == 0)
			for (size_t i = 0; i < n; i++)
				check_key(keys[i]);
		s3_keys_free(keys, n);
		free(next);
		break;
	}
	case 1:
		plans(text, len);
		break;
	case 2: {
		char *s = strndup(text, len);
		int64_t t;
		char back[32];
		if (backup_target_parse(s, &t) == 0) {
			backup_target_str(t, back);
			int64_t again;
			/* what it prints it reads back */
			if (backup_target_parse(back, &again) != 0 || again != t)
				abort();
		}
		free(s);
		break;
	}
	default: {
		char file[PITR_FILE_MAX + 1];
		uint64_t pos;
		if (backup_binlog_info_parse(text, len, file, &pos) == 0 && (!*file || strchr(file, '/')))
			abort();
		break;
	}
	}
	return 0;
}
