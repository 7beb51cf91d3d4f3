/* Which disk the installer media write the image to, and which one
 * kiln-firstboot will keep the data on, by the host's install: rules
 * (profiles/disk_rule.h over lib/diskinfo.h's facts, the same code the
 * agent uses) and kiln install's probe (baremetal/probe.h: what a disk holds
 * and every reason it may not be written). Never a guess: a rule must match
 * exactly one disk; without a rule the only blank disk is the one; anything
 * else stops the installer, which lists every disk and why (docs/install.md).
 * Nothing is written here. */
#ifndef KILN_MEDIUM_SELECT_H
#define KILN_MEDIUM_SELECT_H
#include "baremetal/probe.h"
#include "lib/diskinfo.h"
#include "profiles/model.h"
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct media_disk {
	struct disk_facts facts;
	struct bm_disk probe;       /* content and refusals */
	char *node;                 /* its device node */
	bool probed, blank, kiln_data;
	char *note;                 /* one line: why it is (not) used */
};

struct media_selection {
	struct media_disk *v;
	size_t n;
	ssize_t os, data;           /* index into v, or -1 */
	char *stop;                 /* why the installer stops; NULL: go */
};

struct media_select_in {
	const struct bm_roots *roots;   /* sysfs and procfs (tests: fake trees) */
	const char *devdir;             /* where the nodes are: "/dev" */
	const struct install_settings *install;
	bool data_role;                 /* the role keeps a data disk (mysql, minio) */
	dev_t medium;                   /* the installer medium's device (never a target); 0: none */
	uint64_t image_size;
};

int media_select(const struct media_select_in *in, struct media_selection *out);
void media_selection_free(struct media_selection *s);

/* Every disk, a line of facts and a line of why, for the console. */
void media_selection_print(const struct media_selection *s, FILE *f);
#endif
