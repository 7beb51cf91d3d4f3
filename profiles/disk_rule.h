/* A profile's disk rule (struct disk_rule, model.h: install.disk and
 * install.data_disk) against a disk's facts (lib/diskinfo.h). The installer
 * media pick the OS disk with it; kiln-firstboot finds the data disk again
 * with the same rule and the same facts, never by device name (names move
 * between boots). */
#ifndef KILN_DISK_RULE_H
#define KILN_DISK_RULE_H
#include "lib/buf.h"
#include "lib/diskinfo.h"
#include "profiles/model.h"
#include <stdbool.h>
#include <stddef.h>

/* Does d satisfy r? When it does not, why (may be NULL) says which key
 * failed first, e.g. "size 12 GiB is outside install.disk.size_gib [8, 10]".
 * what names the rule in that text ("install.disk"). A fact the kernel
 * does not report (no serial) is matched as an empty string. */
bool disk_rule_match(const struct disk_rule *r, const char *what, const struct disk_facts *d, char *why,
		     size_t why_len);

/* The rule as one line of YAML flow ("{size_gib: [8, 16], serial: \"S1*\"}"), malloc'd. */
char *disk_rule_text(const struct disk_rule *r);

/* s as a YAML double-quoted string (the rules' text). */
void rule_quote(struct buf *b, const char *s);

/* "24.0 GiB": a size for the console and the agent's status. */
void disk_size_text(uint64_t bytes, char *buf, size_t len);

void disk_rule_copy(struct disk_rule *dst, const struct disk_rule *src);
void disk_rule_free(struct disk_rule *r);
void install_settings_copy(struct install_settings *dst, const struct install_settings *src);
void install_settings_free(struct install_settings *s);
#endif
