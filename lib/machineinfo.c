/* Machine facts from sysfs (machineinfo.h). */
#include "lib/machineinfo.h"
#include "lib/diskinfo.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* s is hex digits and dashes where shape ('x' or '-') says; lower-cased into out. */
static int shaped_hex(const char *s, const char *shape, char *out)
{
	size_t n = strlen(shape);
	if (strlen(s) != n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (shape[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != shape[i])
			return -EINVAL;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[n] = '\0';
	return 0;
}

int mac_canonical(const char *s, char out[MAC_TEXT_LEN])
{
	return shaped_hex(s, "xx:xx:xx:xx:xx:xx", out);
}

int uuid_canonical(const char *s, char out[UUID_TEXT_LEN])
{
	return shaped_hex(s, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", out);
}

/* An attribute with leading and trailing white space trimmed, printable;
 * NULL when absent or empty. */
static char *attr_text(const char *dir, const char *attr)
{
	char b[256];
	if (sysfs_attr(dir, attr, b, sizeof b) < 0)
		return NULL;
	const char *v = b;
	while (*v == ' ' || *v == '\t')
		v++;
	return *v ? disk_text_printable(v) : NULL;
}

static int nic_cmp(const void *a, const void *b)
{
	return strcmp(((const struct machine_nic *)a)->name, ((const struct machine_nic *)b)->name);
}

/* An interface with a device/ is a card (or a virtual machine's card); lo,
 * bridges, bonds, tunnels and VLANs have none. Its address must be a MAC:
 * InfiniBand's 20-byte ones are left out. */
static void read_nics(const char *sysfs, struct machine_facts *f)
{
	char *net = path_join(sysfs, "class/net");
	DIR *d = opendir(net);
	size_t cap = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *dir = path_join(net, de->d_name), *dev = path_join(dir, "device");
		char addr[64], mac[MAC_TEXT_LEN];
		if (access(dev, F_OK) == 0 && sysfs_attr(dir, "address", addr, sizeof addr) == 0 &&
		    mac_canonical(addr, mac) == 0) {
			f->nics = xgrow(f->nics, &cap, f->n_nics + 1, sizeof *f->nics);
			struct machine_nic *n = &f->nics[f->n_nics++];
			n->name = disk_text_printable(de->d_name);
			memcpy(n->mac, mac, sizeof mac);
		}
		free(dir);
		free(dev);
	}
	if (d)
		closedir(d);
	free(net);
	if (f->n_nics)
		qsort(f->nics, f->n_nics, sizeof *f->nics, nic_cmp);
}

int machine_facts_read(const char *sysfs, struct machine_facts *f)
{
	memset(f, 0, sizeof *f);
	if (access(sysfs, R_OK | X_OK) < 0)
		return -errno;
	read_nics(sysfs, f);
	char *dmi = path_join(sysfs, "class/dmi/id");
	f->dmi_serial = attr_text(dmi, "product_serial");
	f->dmi_uuid = attr_text(dmi, "product_uuid");
	char u[UUID_TEXT_LEN];
	if (f->dmi_uuid && uuid_canonical(f->dmi_uuid, u) == 0)
		memcpy(f->dmi_uuid, u, sizeof u);
	free(dmi);
	return 0;
}

void machine_facts_free(struct machine_facts *f)
{
	for (size_t i = 0; i < f->n_nics; i++)
		free(f->nics[i].name);
	free(f->nics);
	free(f->dmi_serial);
	free(f->dmi_uuid);
	memset(f, 0, sizeof *f);
}
