/* Disk selection of the installer media (select.h). */
#include "medium/select.h"
#include "lib/xalloc.h"
#include "profiles/disk_rule.h"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

static void note(struct media_disk *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct media_disk *d, const char *fmt, ...)
{
	if (d->note)
		return;   /* the first reason stands */
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&d->note, fmt, ap) < 0)
		abort();
	va_end(ap);
}

static void stop(struct media_selection *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void stop(struct media_selection *s, const char *fmt, ...)
{
	if (s->stop)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s->stop, fmt, ap) < 0)
		abort();
	va_end(ap);
}

/* What a disk holds, as one phrase. */
static void holds(const struct media_disk *d, char *buf, size_t len)
{
	const struct bm_disk *p = &d->probe;
	if (!d->probed) {
		snprintf(buf, len, "could not be read");
		return;
	}
	if (d->kiln_data) {
		snprintf(buf, len, "kiln's data filesystem (LABEL=%s)", KILN_DATA_LABEL);
		return;
	}
	if (d->blank) {
		snprintf(buf, len, p->record_state == 0 ? "blank (an unfinished kiln install)" : "blank");
		return;
	}
	size_t at = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < p->n_found && at < len; i++) {
		const struct bm_found *f = &p->found[i];
		/* a partition's entry only where nothing was found inside it */
		bool inner = false;
		for (size_t k = 0; k < p->n_found && f->partno && !strcmp(f->usage, "partition"); k++)
			inner |= k != i && p->found[k].partno == f->partno;
		if (inner)
			continue;
		char part[32] = "";
		if (f->partno)
			snprintf(part, sizeof part, "partition %u: ", f->partno);
		at += (size_t)snprintf(buf + at, len - at, "%s%s%s%s%s%s", at ? ", " : "", part, f->type,
				       f->label ? " \"" : "", f->label ? f->label : "", f->label ? "\"" : "");
	}
	if (!p->n_found)
		snprintf(buf, len, "data kiln does not recognise");
}

static void probe_disk(const struct media_select_in *in, struct media_disk *d)
{
	char *dir = xasprintf("%s/block/%s", in->roots->sysfs, d->facts.name);
	dev_t devno = 0;
	d->node = xasprintf("%s/%s", in->devdir, d->facts.name);
	if (bm_sysfs_devno(dir, &devno) == 0 && bm_disk_probe_block(in->roots, d->node, devno, &d->probe) == 0) {
		d->probed = true;
		d->blank = bm_disk_blank(&d->probe);
		for (size_t i = 0; i < d->probe.n_found; i++)
			if (!d->probe.found[i].partno && d->probe.found[i].label &&
			    !strcmp(d->probe.found[i].label, KILN_DATA_LABEL) && d->probe.n_found == 1)
				d->kiln_data = true;
	}
	free(dir);
}

/* A reason this disk can never be written, whatever the rules say. */
static bool unusable(const struct media_select_in *in, struct media_disk *d)
{
	if (in->medium && d->probe.devno == in->medium) {
		note(d, "the installer medium");
		return true;
	}
	if (!d->probed) {
		note(d, "could not be examined");
		return true;
	}
	for (size_t i = 0; i < d->probe.n_refusals; i++) {
		note(d, "refused: %s", d->probe.refusals[i].why);
		return true;
	}
	return false;
}

static bool matches(const struct disk_rule *r, const char *what, struct media_disk *d, bool record)
{
	char why[256];
	if (!r->set || disk_rule_match(r, what, &d->facts, why, sizeof why))
		return true;
	if (record)
		note(d, "%s", why);
	return false;
}

static void pick_os(const struct media_select_in *in, struct media_selection *s)
{
	const struct install_settings *st = in->install;
	const struct disk_rule *rule = &st->disk, *data = &st->data_disk;
	size_t n_match = 0;
	ssize_t pick = -1;
	for (size_t i = 0; i < s->n; i++) {
		struct media_disk *d = &s->v[i];
		if (unusable(in, d))
			continue;
		if (rule->set) {
			if (!matches(rule, "install.disk", d, true))
				continue;
		} else if (data->set && in->data_role && matches(data, "install.data_disk", d, false)) {
			continue;   /* the data disk's, said below */
		} else if (!d->blank) {
			char what[256];
			holds(d, what, sizeof what);
			note(d, "not blank (%s): without an install.disk rule only a blank disk is taken", what);
			continue;
		}
		if (!n_match++)
			pick = (ssize_t)i;
	}
	if (n_match == 0) {
		stop(s, rule->set ? "no disk matches install.disk" : "no blank disk to install on");
		return;
	}
	if (n_match > 1) {
		for (size_t i = 0; i < s->n; i++)
			if (!s->v[i].note && (rule->set || s->v[i].blank))
				note(&s->v[i], rule->set ? "matches install.disk, as does another disk"
							  : "blank, as is another disk");
		stop(s, rule->set ? "%zu disks match install.disk: kiln never guesses; make the rule pick one"
				  : "%zu blank disks and no install.disk rule: kiln never guesses; add an install.disk "
				    "rule to the host's profile (docs/profile.md)", n_match);
		return;
	}
	struct media_disk *d = &s->v[pick];
	char what[256], size[32], need[32];
	holds(d, what, sizeof what);
	if (d->facts.size < in->image_size) {
		disk_size_text(d->facts.size, size, sizeof size);
		disk_size_text(in->image_size, need, sizeof need);
		note(d, "too small: %s, the image needs %s", size, need);
		stop(s, "the disk install.disk picks (%s) is too small", d->facts.name);
		return;
	}
	if (!d->blank && !st->wipe) {
		note(d, "matches install.disk but is not blank (%s)", what);
		stop(s, "%s holds data: kiln overwrites it only with install.wipe: true in the profile", d->facts.name);
		return;
	}
	if (data->set && in->data_role && matches(data, "install.data_disk", d, false)) {
		note(d, "matches both install.disk and install.data_disk");
		stop(s, "%s matches both rules: make install.disk and install.data_disk tell the disks apart",
		     d->facts.name);
		return;
	}
	note(d, "-> the OS disk: the image goes here%s", d->blank ? "" : " (install.wipe: its content is lost)");
	s->os = pick;
}

static void pick_data(const struct media_select_in *in, struct media_selection *s)
{
	const struct disk_rule *rule = &in->install->data_disk;
	if (!in->data_role || !rule->set)
		return;
	size_t n_match = 0;
	ssize_t pick = -1;
	for (size_t i = 0; i < s->n; i++) {
		struct media_disk *d = &s->v[i];
		if ((ssize_t)i == s->os || (in->medium && d->probe.devno == in->medium) || !d->probed)
			continue;
		if (!matches(rule, "install.data_disk", d, true))
			continue;
		free(d->note);   /* not the OS disk's: what counts is the data rule */
		d->note = NULL;
		if (!n_match++)
			pick = (ssize_t)i;
	}
	if (n_match != 1) {
		for (size_t i = 0; n_match > 1 && i < s->n; i++)
			if (!s->v[i].note)
				note(&s->v[i], "matches install.data_disk, as does another disk");
		if (n_match)
			stop(s, "%zu disks match install.data_disk: kiln never guesses", n_match);
		else
			stop(s, "no disk matches install.data_disk");
		return;
	}
	struct media_disk *d = &s->v[pick];
	if (!d->blank && !d->kiln_data) {
		char what[256];
		holds(d, what, sizeof what);
		note(d, "matches install.data_disk but holds %s", what);
		stop(s, "the data disk %s is neither blank nor kiln's: kiln-firstboot formats only a blank disk",
		     d->facts.name);
		return;
	}
	note(d, d->kiln_data ? "-> the data disk: kiln-firstboot keeps its data" : "-> the data disk: kiln-firstboot "
	     "formats it at first boot");
	s->data = pick;
}

int media_select(const struct media_select_in *in, struct media_selection *s)
{
	memset(s, 0, sizeof *s);
	s->os = s->data = -1;
	char **names;
	size_t n;
	int r = disk_list(in->roots->sysfs, &names, &n);
	if (r < 0)
		return r;
	s->v = xcalloc(n ? n : 1, sizeof *s->v);
	for (size_t i = 0; i < n; i++) {
		struct media_disk *d = &s->v[s->n];
		if (disk_facts_read(in->roots->sysfs, names[i], &d->facts) < 0)
			continue;   /* no size: not a disk yet */
		s->n++;
		probe_disk(in, d);
	}
	disk_list_free(names, n);
	if (!s->n) {
		stop(s, "the kernel sees no disk (is its controller's driver missing from the installer?)");
		return 0;
	}
	pick_os(in, s);
	if (!s->stop)
		pick_data(in, s);
	if (s->stop) {
		s->os = s->data = -1;
		for (size_t i = 0; i < s->n; i++)
			if (!s->v[i].note)
				note(&s->v[i], s->v[i].blank ? "blank, not picked" : "not picked");
	}
	for (size_t i = 0; i < s->n; i++)
		if (!s->v[i].note)
			note(&s->v[i], "not used");
	return 0;
}

void media_selection_free(struct media_selection *s)
{
	for (size_t i = 0; i < s->n; i++) {
		disk_facts_free(&s->v[i].facts);
		bm_disk_free(&s->v[i].probe);
		free(s->v[i].node);
		free(s->v[i].note);
	}
	free(s->v);
	free(s->stop);
	memset(s, 0, sizeof *s);
}

void media_selection_print(const struct media_selection *s, FILE *f)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct media_disk *d = &s->v[i];
		char size[32], what[256];
		disk_size_text(d->facts.size, size, sizeof size);
		holds(d, what, sizeof what);
		fprintf(f, "  %-8s %10s  model \"%s\"  serial \"%s\"  %s%s\n           path %s\n           %s\n",
			d->facts.name, size, d->facts.model ? d->facts.model : "", d->facts.serial ? d->facts.serial : "",
			d->facts.rotational ? "rotational, " : "", what, d->facts.path ? d->facts.path : "-",
			d->note ? d->note : "");
	}
}
