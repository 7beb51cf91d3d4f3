/* kiln render PROFILE --host NAME --out DIR: write the system files one
 * host gets (networkd, nftables, hostname, hosts, authorized_keys) under
 * DIR, as they will sit in that host's root filesystem. */
#include "installer/commands.h"
#include "installer/profile_state.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/profile.h"
#include "profiles/render.h"
#include "targets/target.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "Usage: kiln render PROFILE --host NAME --out DIR\n\n"
		   "Write the network, firewall and identity files host NAME gets, under DIR\n"
		   "(DIR/etc/systemd/network/, DIR/etc/nftables.conf, DIR/etc/hostname,\n"
		   "DIR/etc/hosts, DIR/root/.ssh/authorized_keys), each written atomically.\n\n"
		   "Options:\n"
		   "  -H, --host NAME   the host to render (a name under hosts: in the profile)\n"
		   "  -o, --out DIR     output root directory (created if missing)\n"
		   "  -h, --help        show this help\n");
}

static void list_hosts(const struct model *m)
{
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < m->n_hosts; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", m->hosts[i].name);
	log_error("the profile's hosts are: %s", b.len ? b.data : "(none)");
	buf_free(&b);
}

/* Would one of the files written under out_dir replace the profile itself? */
static bool overwrites_profile(const char *profile, const char *out_dir, const struct rendered_files *f)
{
	struct stat in;
	if (!strcmp(profile, "-") || stat(profile, &in) < 0)
		return false;
	for (size_t i = 0; i < f->n; i++) {
		char *p = xasprintf("%s%s", out_dir, f->v[i].path);
		int r = output_is_input(p, &in);
		if (r > 0)
			log_error("%s is the profile %s (or a link to it): refusing to replace it", p, profile);
		else if (r < 0)
			log_error_errno(r, "cannot examine %s", p);
		free(p);
		if (r != 0)
			return true;
	}
	return false;
}

int cmd_render(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *host_name = NULL, *out_dir = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "H:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': host_name = optarg; break;
		case 'o': out_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || !host_name || !out_dir) {
		log_error("render needs one PROFILE, --host NAME and --out DIR");
		usage(stderr);
		return 2;
	}
	const char *profile = argv[optind];

	struct model m;
	int r = profile_load_reported(profile, &m);
	if (r < 0)
		return 1;

	int rc = 1;
	struct rendered_files files = { 0 };
	const struct host *h = model_find_host(&m, host_name);
	if (!h) {
		log_error("%s: no host named '%s'", profile, host_name);
		list_hosts(&m);
		goto out;
	}
	if (render_host(&m, h, &files) < 0)
		goto out;
	r = mkdir_p(out_dir, 0755);
	if (r < 0) {
		log_error_errno(r, "cannot create %s", out_dir);
		goto out;
	}
	if (overwrites_profile(profile, out_dir, &files))
		goto out;
	r = rendered_files_write(&files, out_dir);
	if (r < 0) {
		log_error_errno(r, "cannot write %s's files under %s", h->name, out_dir);
		goto out;
	}
	fprintf(stderr, "kiln: rendered %zu files for %s under %s\n", files.n, h->name, out_dir);
	rc = 0;
out:
	rendered_files_free(&files);
	model_free(&m);
	return rc;
}
