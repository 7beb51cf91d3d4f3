/* kiln-installer: the installer media's /init. It loads the drivers its
 * initramfs carries, finds the medium (the block device with a kiln payload
 * partition), checks every seed it carries with the operator key the
 * initramfs carries, reads each host's install: rules from its seed's own
 * copy of the profile, picks the host this machine is (pick.h: the one
 * whose install.machine rule matches, or the medium's only host), picks the
 * disks (select.h), shows what will be overwritten and
 * counts down (unless install.unattended), runs kiln install's engine
 * (bm_install: the bmap's signature, every range's SHA-256, the downgrade
 * record, the first MiB last), makes the firmware boot the installed disk
 * next (efiboot.h) and reboots. Any refusal or failure is said on the
 * console and the installer waits there; nothing is written before every
 * check has passed (docs/install.md, "Installer media"). */
#include "medium/installer.h"
#include "baremetal/install.h"
#include "baremetal/payload.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/machineinfo.h"
#include "lib/progress.h"
#include "lib/seed.h"
#include "lib/xalloc.h"
#include "medium/boot.h"
#include "medium/efiboot.h"
#include "medium/find.h"
#include "medium/pick.h"
#include "medium/select.h"
#include "profiles/disk_rule.h"
#include "profiles/profile.h"
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FIND_SECONDS 90          /* USB sticks and SCSI buses show up late */
#define SETTLE_SECONDS 3         /* the disk list must stay the same this long */
#define COUNTDOWN_SECONDS 10

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("kiln installer: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: kiln-installer\n\n"
		   "The installer media's first process (/init of their initramfs): installs the\n"
		   "medium's role image and the seed of its host (on a per-role medium, the host\n"
		   "whose install.machine rule this machine matches) onto the disk the host's\n"
		   "install: rules pick, then reboots into the installed host. kiln build PROFILE\n"
		   "--target iso|usb makes the media (docs/install.md). Not meant to be run by hand.\n");
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int find_medium(struct medium *m)
{
	char why[256] = "";
	double end = now() + FIND_SECONDS;
	int r;
	say("looking for the installer medium");
	while ((r = media_find("/sys", "/dev", m, why, sizeof why)) == -ENOENT && now() < end)
		sleep(1);
	if (r < 0)
		say("%s", why);
	else
		say("medium %s: payload at byte %" PRIu64 " (%" PRIu64 " MiB)", m->node, m->start, m->size >> 20);
	return r;
}

/* Wait until the set of disks has not changed for SETTLE_SECONDS. */
static void settle(void)
{
	char *last = NULL;
	double stable = now(), end = now() + 30;
	while (now() < end) {
		char **names;
		size_t n;
		struct buf b;
		buf_init(&b);
		buf_puts(&b, "");
		if (disk_list("/sys", &names, &n) == 0) {
			for (size_t i = 0; i < n; i++)
				buf_printf(&b, "%s ", names[i]);
			disk_list_free(names, n);
		}
		if (!last || strcmp(last, b.data)) {
			free(last);
			last = buf_steal(&b);
			stable = now();
		} else
			buf_free(&b);
		if (now() - stable >= SETTLE_SECONDS)
			break;
		usleep(500000);
	}
	free(last);
}

/* The medium's seeds, each verified, with its host's model from its own
 * topology; all of one deployment and role, no host twice. */
struct carried {
	struct seed *seeds;
	struct model *models;
	const struct host **hosts;
	struct media_candidate *cand;
	size_t n;
};

static void carried_free(struct carried *c)
{
	for (size_t i = 0; i < c->n; i++) {
		model_free(&c->models[i]);
		seed_free(&c->seeds[i]);
	}
	free(c->seeds);
	free(c->models);
	free(c->hosts);
	free(c->cand);
	memset(c, 0, sizeof *c);
}

static int open_seed(const struct bm_payload_seed *ps, const struct minisign_pub *pub, struct seed *seed,
		     struct model *m, const struct host **h)
{
	if (!ps->len) {
		say("the medium carries no seed");
		return -ENOENT;
	}
	int sig = 0, r = seed_inspect(ps->text, ps->len, pub, seed, &sig);
	if (r < 0 || sig < 0) {
		say("a seed of the medium is refused: %s", seed_strerror(r < 0 ? r : sig));
		if (r == 0)
			seed_free(seed);
		return r < 0 ? r : sig;
	}
	struct diags d = { 0 };
	r = profile_load_buffer("the seed's profile", seed->topology, seed->topology_len, NULL, m, &d);
	if (r < 0) {
		say("the profile of %s's seed does not load:", seed->host);
		diags_print(&d, stdout);
	}
	diags_free(&d);
	if (r == 0 && !(*h = model_find_host(m, seed->host))) {
		say("the seed is for host %s, which its profile does not list", seed->host);
		model_free(m);
		r = -EHOSTUNREACH;
	}
	if (r < 0)
		seed_free(seed);
	return r;
}

static int open_seeds(const struct bm_payload *p, const struct minisign_pub *pub, struct carried *c)
{
	memset(c, 0, sizeof *c);
	c->seeds = xcalloc(p->n_seeds, sizeof *c->seeds);
	c->models = xcalloc(p->n_seeds, sizeof *c->models);
	c->hosts = xcalloc(p->n_seeds, sizeof *c->hosts);
	c->cand = xcalloc(p->n_seeds, sizeof *c->cand);
	for (size_t i = 0; i < p->n_seeds; i++) {
		int r = open_seed(&p->seeds[i], pub, &c->seeds[i], &c->models[i], &c->hosts[i]);
		if (r < 0)
			return r;
		c->n++;
		const struct host *h = c->hosts[i], *h0 = c->hosts[0];
		if (strcmp(c->seeds[i].deployment, c->seeds[0].deployment) || h->role != h0->role) {
			say("the seeds of %s and %s are for different deployments or roles", h0->name, h->name);
			return -EBADMSG;
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(c->hosts[k]->name, h->name)) {
				say("the medium carries two seeds for host %s", h->name);
				return -EBADMSG;
			}
		c->cand[i] = (struct media_candidate){ h->name, &h->install.machine };
	}
	return 0;
}

/* Which host this machine is; -EPERM (said) when none or several. */
static int pick_host(const struct carried *c, size_t *out)
{
	bool rules = false;
	for (size_t i = 0; i < c->n; i++)
		rules |= c->hosts[i]->install.machine.set;
	if (c->n == 1 && !rules) {
		*out = 0;
		return 0;
	}
	struct machine_facts f;
	int r = machine_facts_read(bm_roots_host.sysfs, &f);
	if (r < 0) {
		say("cannot read the machine's facts from %s: %s", bm_roots_host.sysfs, strerror(-r));
		return r;
	}
	struct media_pick p;
	media_pick_host(c->cand, c->n, &f, &p);
	say("the medium carries %zu host%s; which is this machine:", c->n, c->n == 1 ? "" : "s");
	media_pick_print(&p, c->cand, &f, stdout);
	if (p.stop) {
		say("STOPPED, nothing was written: %s", p.stop);
		r = -EPERM;
	} else
		*out = (size_t)p.pick;
	media_pick_free(&p);
	machine_facts_free(&f);
	return r;
}

/* 0: go; -ECANCELED: the operator said no. */
static int countdown(const struct media_selection *s)
{
	say("the disk %s (%s) will be OVERWRITTEN; starting in %d s", s->v[s->os].facts.name,
	    s->v[s->os].node, COUNTDOWN_SECONDS);
	say("press Enter to start now, or type n and Enter to stop (nothing is written then)");
	for (int left = COUNTDOWN_SECONDS; left > 0; left--) {
		printf("  %d\n", left);
		fflush(stdout);
		struct pollfd p = { .fd = 0, .events = POLLIN };
		if (poll(&p, 1, 1000) == 1) {
			char line[64];
			if (!fgets(line, sizeof line, stdin))
				continue;
			if (line[0] == 'n' || line[0] == 'N')
				return -ECANCELED;
			return 0;
		}
	}
	return 0;
}

struct ui {
	struct progress_bar bar;
	enum bm_phase phase;
	bool started;
};

static void on_progress(void *ud, enum bm_phase phase, uint64_t done, uint64_t total)
{
	struct ui *u = ud;
	if (!u->started || phase != u->phase) {
		progress_bar_init(&u->bar, phase == BM_PHASE_VERIFY ? "hashing" : "writing", stdout);
		u->bar.tty = false;   /* plain lines: the console may be a serial log */
		u->bar.interval = 5;
		u->phase = phase;
		u->started = true;
	}
	progress_bar_update(&u->bar, done, total, done >= total);
}

static int install(const struct medium *md, const struct bm_payload *p, const struct minisign_pub *pub,
		   const struct seed *seed, const struct bm_payload_seed *text, const struct install_settings *st,
		   const struct media_disk *os)
{
	struct ui ui = { 0 };
	struct bm_install_opts o = {
		.disk = os->node,
		.source = { .payload = p, .pub = pub, .deployment = seed->deployment },
		.seed = text->text, .seed_len = text->len,
		.wipe = st->wipe,
		.read_back = true,   /* unknown hardware, unattended: every chunk read back (docs/install.md) */
		.watch = { on_progress, &ui, NULL },
	};
	struct bm_install_result res;
	int r = bm_install(&o, &res);
	if (r == 0)
		say("installed %s version %" PRIu64 " on %s: %" PRIu64 " MiB written and read back in %.0f s%s",
		    p->image, res.version, os->node, res.bytes_written >> 20, res.seconds,
		    res.gpt_moved ? ", partition table moved to the end of the disk" : "");
	bm_install_result_free(&res);
	(void)md;
	return r;
}

/* The installed disk boots next, not the medium. */
static void boot_installed(const struct medium *md, const struct media_disk *os, const char *host)
{
	int fd = open(os->node, O_RDONLY | O_CLOEXEC);
	struct efi_esp esp;
	char why[256] = "";
	unsigned num;
	char *desc = xasprintf("kiln %s", host);
	int r = media_mount_efivars();
	if (r == -ENOENT)   /* booted by a BIOS: no boot entries to write */
		say("legacy BIOS: no boot entry to set: %s", strncmp(md->node, "/dev/sr", 7) ?
		    "remove the medium before the host boots again (or boot its disk first)" :
		    "the CD-ROM is ejected; the host boots its disk if the BIOS boots disks before CD-ROMs");
	else if (r < 0)
		say("no EFI variables (%s): remove the medium before the host boots again", strerror(-r));
	else if (fd < 0 || efi_find_esp(fd, &esp) < 0)
		say("the installed disk has no ESP to boot from (%s)", fd < 0 ? strerror(errno) : "none found");
	else if (efi_boot_first(EFIVARS_DIR, &esp, desc, &num, why, sizeof why) < 0)
		say("could not add a boot entry (%s): remove the medium before the host boots again", why);
	else
		say("boot entry Boot%04X \"%s\" is first in BootOrder and BootNext", num, desc);
	free(desc);
	if (fd >= 0)
		close(fd);
	if (!strncmp(md->node, "/dev/sr", 7))
		media_eject(md->fd);
}

/* Whether the firmware enforces Secure Boot, and the kernel's lockdown
 * (Debian's kernel locks itself down when it does): every module loaded
 * had to carry Debian's signature. */
static void say_secure_boot(void)
{
	int efi = media_mount_efivars(), sb = efi;
	if (sb == 0)
		sb = efi_secure_boot(EFIVARS_DIR);
	char mode[32] = "unknown", *t = NULL;
	size_t n;
	if (read_file("/sys/kernel/security/lockdown", 256, &t, &n) == 0 &&
	    efi_lockdown_mode(t, mode, sizeof mode) < 0)
		snprintf(mode, sizeof mode, "unknown");
	free(t);
	if (efi == -ENOENT)
		say("firmware: legacy BIOS (no UEFI, no Secure Boot); kernel lockdown: %s", mode);
	else
		say("UEFI Secure Boot: %s; kernel lockdown: %s",
		    sb == 1 ? "on" : sb == 0 ? "off" : "no SecureBoot variable", mode);
}

static int run(void)
{
	say("kiln %s", KILN_VERSION);
	int n = media_load_modules(MEDIA_MODULES_LIST, stdout);
	say("%d driver modules loaded", n);
	say_secure_boot();
	struct minisign_pub pub;
	char *text = NULL;
	size_t len;
	int r = read_file(MEDIA_OPERATOR_PUB, 4096, &text, &len);
	if (r == 0 && (r = minisign_pub_parse(text, len, &pub)) < 0)
		say("%s is not a minisign public key", MEDIA_OPERATOR_PUB);
	else if (r < 0)
		say("no operator key at %s: %s", MEDIA_OPERATOR_PUB, strerror(-r));
	free(text);
	if (r < 0)
		return r;
	struct medium md;
	if ((r = find_medium(&md)) < 0)
		return r;
	struct bm_payload p;
	char why[256];
	if ((r = bm_payload_open(md.fd, md.start, md.size, md.node, &p, why, sizeof why)) < 0) {
		say("%s: the payload is unreadable: %s", md.node, why);
		medium_close(&md);
		return r;
	}
	struct carried cs;
	size_t which = 0;
	if ((r = open_seeds(&p, &pub, &cs)) < 0) {
		carried_free(&cs);
		bm_payload_free(&p);
		medium_close(&md);
		return r;
	}
	settle();   /* the disks, and the network cards a rule may name */
	if ((r = pick_host(&cs, &which)) < 0) {
		carried_free(&cs);
		bm_payload_free(&p);
		medium_close(&md);
		return r;
	}
	const struct host *h = cs.hosts[which];
	const struct seed *seed = &cs.seeds[which];
	say("deployment %s, host %s (role %s), image %s", seed->deployment, h->name, role_name(h->role), p.image);
	char *os_rule = disk_rule_text(&h->install.disk), *data_rule = disk_rule_text(&h->install.data_disk);
	say("install.disk: %s; install.data_disk: %s; unattended: %s; wipe: %s", h->install.disk.set ? os_rule : "none",
	    h->install.data_disk.set ? data_rule : "none", h->install.unattended ? "true" : "false",
	    h->install.wipe ? "true" : "false");
	free(os_rule);
	free(data_rule);
	struct media_select_in in = {
		.roots = &bm_roots_host, .devdir = "/dev", .install = &h->install,
		.data_role = h->role == ROLE_MYSQL || h->role == ROLE_MINIO, .medium = md.devno,
		.image_size = p.image_size,
	};
	struct media_selection s;
	if ((r = media_select(&in, &s)) < 0)
		say("cannot list the disks: %s", strerror(-r));
	else {
		say("disks:");
		media_selection_print(&s, stdout);
		if (s.stop) {
			say("STOPPED, nothing was written: %s", s.stop);
			r = -EPERM;
		} else if (!h->install.unattended && (r = countdown(&s)) < 0)
			say("stopped by the operator; nothing was written");
		else
			say("installing onto %s", s.v[s.os].node);
		if (r == 0 && (r = install(&md, &p, &pub, seed, &p.seeds[which], &h->install, &s.v[s.os])) < 0)
			say("FAILED: the install did not finish (the reasons are above); %s does not boot. Boot the "
			    "medium again to finish it", s.v[s.os].node);
		if (r == 0)
			boot_installed(&md, &s.v[s.os], h->name);
		media_selection_free(&s);
	}
	carried_free(&cs);
	bm_payload_free(&p);
	medium_close(&md);
	return r;
}

int media_main(int argc, char **argv)
{
	bool pid1 = getpid() == 1;
	if (!pid1 && argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (!pid1) {
		usage(stderr);
		return 2;
	}
	media_boot_setup();
	int r = run();
	if (r == 0) {
		say("done: rebooting into the installed host");
		media_reboot(stdout);
	}
	say("waiting here; power the machine off to leave");
	media_wait_forever(stdout);
}
