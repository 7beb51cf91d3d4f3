/* kiln install IMAGE --disk DEV|FILE: write a signed role image to a disk
 * (or a file) safely; the work is baremetal/install.c, this file parses the
 * options and shows progress (docs/install.md). */
#include "baremetal/install.h"
#include "installer/commands.h"
#include "installer/keystore.h"
#include "installer/profile_state.h"
#include "lib/buf.h"
#include "lib/input.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/progress.h"
#include "lib/seed.h"
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void install_usage(FILE *f)
{
	fprintf(f, "Usage: kiln install IMAGE --disk DEV|FILE (--pubkey PUBKEY | --state DIR | --profile PROFILE)\n"
		   "                    [--seed FILE] [--wipe] [--force] [--read-back] [--json]\n"
		   "                    [--bmap FILE] [--sig FILE]\n\n"
		   "Write a role image to a whole disk (or a regular file, created if missing) after\n"
		   "checking its signature with the operator's public key. Refused: a disk that is\n"
		   "mounted, holds swap, is part of a RAID/LVM/device-mapper device, is the disk this\n"
		   "system booted from, is a partition, is read-only or is smaller than the image; a\n"
		   "disk holding a partition table, filesystem or data unless --wipe; an older image\n"
		   "version than the disk carries unless --force. Only the ranges holding data are\n"
		   "written, each checked against its signed SHA-256 as it is read (with --read-back\n"
		   "also read back from the disk and compared); the first MiB goes last, so an\n"
		   "interrupted install never boots and the same command finishes it.\n"
		   "docs/install.md has the rules.\n\n"
		   "  --disk DEV|FILE    the target: a whole disk (/dev/sdb, /dev/nvme1n1) or a file\n"
		   "  --pubkey PUBKEY    the operator's minisign public key\n"
		   "  --state DIR        use DIR/operator.pub; the image must be for DIR's deployment\n"
		   "  --profile PROFILE  the state directory beside the profile (.kiln/<deployment>/)\n"
		   "  --seed FILE        the host's seed (kiln seed): put at /etc/kiln/seed (0600) in the\n"
		   "                     root filesystem, where kiln-firstboot reads it\n"
		   "  --wipe             overwrite a disk that holds data (what it holds is shown first)\n"
		   "  --force            install even if the disk carries a newer version\n"
		   "  --read-back        read every chunk back from the disk past the page cache and\n"
		   "                     compare it (slower: for USB sticks, cheap flash, suspect disks)\n"
		   "  --json             print a summary object on stdout\n"
		   "  --bmap FILE        the signed block map (default IMAGE.bmap when it exists)\n"
		   "  --sig FILE         the signature of the bmap, or of the image without one\n"
		   "                     (default: that file + .minisig)\n");
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct ui {
	struct progress_bar bar;
	enum bm_phase phase;
	bool started;
};

static struct ui ui;

/* Log lines start on a line of their own, not after a drawn bar. */
static void log_sink(enum log_level lvl, const char *msg, void *ud)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	(void)ud;
	if (lvl > LOG_LVL_INFO)
		return;
	progress_bar_break(&ui.bar);
	fprintf(stderr, "kiln: %s%s\n", tag[lvl], msg);
}

static void on_progress(void *ud, enum bm_phase phase, uint64_t done, uint64_t total)
{
	struct ui *u = ud;
	if (!u->started || phase != u->phase) {
		progress_bar_break(&u->bar);
		progress_bar_init(&u->bar, phase == BM_PHASE_VERIFY ? "hashing" : "writing", stderr);
		u->phase = phase;
		u->started = true;
	}
	progress_bar_update(&u->bar, done, total, done >= total);
}

static void size_text(uint64_t b, char *out, size_t n)
{
	if (b >= (10ull << 30))
		snprintf(out, n, "%" PRIu64 " GiB", b >> 30);
	else
		snprintf(out, n, "%" PRIu64 " MiB", b >> 20);
}

/* What the target is and holds, before any refusal. */
static void show_disk(void *ud, const struct bm_disk *d)
{
	(void)ud;
	char sz[32];
	size_text(d->size, sz, sizeof sz);
	if (d->kind == BM_TARGET_NEW_FILE) {
		log_info("target %s: a new file", d->path);
		return;
	}
	if (d->kind == BM_TARGET_FILE)
		log_info("target %s: a file of %s", d->path, sz);
	else if (d->kind == BM_TARGET_BLOCK)
		log_info("target %s (%s): %s%s, model %s, serial %s", d->path, d->name, sz,
			 d->removable ? ", removable" : "", d->model ? d->model : "(none)",
			 d->serial ? d->serial : "(none)");
	for (size_t i = 0; i < d->n_found; i++) {
		const struct bm_found *f = &d->found[i];
		size_text(f->size, sz, sizeof sz);
		char where[48] = "";
		if (f->partno && strcmp(f->usage, "partition") != 0)
			snprintf(where, sizeof where, "partition %u holds ", f->partno);
		if (!strcmp(f->usage, "partition"))
			log_info("  partition %u: %s, type %s%s%s%s", f->partno, sz, f->type,
				 f->label ? ", name \"" : "", f->label ? f->label : "", f->label ? "\"" : "");
		else
			log_info("  %s%s %s%s%s%s%s%s", where, f->usage, f->type, f->label ? ", label \"" : "",
				 f->label ? f->label : "", f->label ? "\"" : "", f->uuid ? ", uuid " : "",
				 f->uuid ? f->uuid : "");
	}
	if (d->record_state == 0)
		log_info("  a kiln install record: %s, image %s, version %" PRIu64 " of deployment %s",
			 d->record.state == BM_RECORD_COMPLETE ? "complete" : "interrupted", d->record.image,
			 d->record.version, d->record.deployment);
	else if (d->record_state == -EBADMSG)
		log_info("  a damaged kiln install record");
	if (d->kind == BM_TARGET_FILE && !d->n_found && d->has_data && d->record_state != 0)
		log_info("  data without a known signature");
}

static void print_json(const char *image, const char *disk, const struct bm_install_result *r)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "{\"target\":");
	json_str(&b, disk);
	buf_puts(&b, ",\"image\":");
	json_str(&b, image);
	buf_printf(&b, ",\"image_size\":%" PRIu64 ",\"disk_size\":%" PRIu64 ",\"bytes_written\":%" PRIu64
		   ",\"bytes_zeroed\":%" PRIu64 ",\"ranges\":%zu,\"seconds\":%.3f,\"verified\":%s,\"read_back\":%s"
		   ",\"bmap\":%s,\"gpt_moved\":%s,\"deployment\":",
		   r->image_size, r->disk_size, r->bytes_written, r->bytes_zeroed, r->ranges, r->seconds,
		   r->verified ? "true" : "false", r->read_back ? "true" : "false", r->via_bmap ? "true" : "false",
		   r->gpt_moved ? "true" : "false");
	json_str(&b, r->deployment);
	buf_printf(&b, ",\"version\":%" PRIu64 ",\"seed_host\":", r->version);
	json_str(&b, r->seed_host);
	buf_puts(&b, "}\n");
	fputs(b.data, stdout);
	buf_free(&b);
}

/* The operator key and, with a state directory, the deployment it is for. */
static int load_key(const char *pubkey, const char *state_opt, const char *profile, struct minisign_pub *pub,
		    char **deployment)
{
	if (pubkey)
		return keystore_load_pub_file(pubkey, pub);
	char *state = NULL;
	int r = profile_state_resolve(profile, state_opt, &state, deployment);
	if (r == 0)
		r = keystore_load_operator_pub(state, pub);
	if (r == 0 && !*deployment)
		r = keystore_deployment(state, deployment);
	free(state);
	return r;
}

int cmd_install(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "disk", required_argument, NULL, 'd' },
		{ "pubkey", required_argument, NULL, 'p' },
		{ "state", required_argument, NULL, 's' },
		{ "profile", required_argument, NULL, 'P' },
		{ "seed", required_argument, NULL, 'S' },
		{ "bmap", required_argument, NULL, 'b' },
		{ "sig", required_argument, NULL, 'x' },
		{ "wipe", no_argument, NULL, 'w' },
		{ "force", no_argument, NULL, 'f' },
		{ "read-back", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *disk = NULL, *pubkey = NULL, *state = NULL, *profile = NULL, *seed_path = NULL;
	struct bm_install_opts o = { 0 };
	bool json = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': disk = optarg; break;
		case 'p': pubkey = optarg; break;
		case 's': state = optarg; break;
		case 'P': profile = optarg; break;
		case 'S': seed_path = optarg; break;
		case 'b': o.source.bmap = optarg; break;
		case 'x': o.source.sig = optarg; break;
		case 'w': o.wipe = true; break;
		case 'f': o.force = true; break;
		case 'r': o.read_back = true; break;
		case 'j': json = true; break;
		case 'h': install_usage(stdout); return 0;
		default: install_usage(stderr); return 2;
		}
	}
	if (argc - optind != 1) {
		log_error("install wants exactly one IMAGE (see 'kiln install --help')");
		return 2;
	}
	if (!disk) {
		log_error("missing --disk DEV|FILE: the disk (or file) to write");
		return 2;
	}
	if (!pubkey && !state && !profile) {
		log_error("missing the operator key: --pubkey PUBKEY, --state DIR or --profile PROFILE");
		return 2;
	}
	if (pubkey && (state || profile)) {
		log_error("--pubkey and --state/--profile name the key twice: give one");
		return 2;
	}
	o.source.image = argv[optind];
	o.disk = disk;

	struct minisign_pub pub;
	char *deployment = NULL, *seed = NULL;
	struct bm_install_result res = { 0 };
	int ret = 1, r;
	if (load_key(pubkey, state, profile, &pub, &deployment) < 0)
		goto out;
	if (seed_path && (r = read_input(seed_path, 0, SEED_MAX_BYTES, &seed, &o.seed_len)) < 0) {
		log_error("--seed %s %s", seed_path, input_strerror(r));
		goto out;
	}
	o.seed = seed;
	o.source.pub = &pub;
	o.source.deployment = deployment;
	o.watch = (struct bm_watch){ on_progress, &ui, &interrupted };
	o.show_disk = show_disk;

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	log_set_sink(log_sink, NULL);
	r = bm_install(&o, &res);
	progress_bar_break(&ui.bar);
	if (r == 0) {
		char w[32];
		size_text(res.bytes_written, w, sizeof w);
		log_info("installed %s (deployment %s, version %" PRIu64 ") on %s: %s written in %zu ranges, "
			 "%.1f s, %s%s%s", o.source.image, res.deployment, res.version, disk, w, res.ranges,
			 res.seconds, res.read_back ? "every byte read back and verified" : "every range's SHA-256 verified",
			 res.seed_host ? "; seed for " : "",
			 res.seed_host ? res.seed_host : "");
		if (json)
			print_json(o.source.image, disk, &res);
		ret = 0;
	}
	log_set_sink(NULL, NULL);
out:
	bm_install_result_free(&res);
	free(deployment);
	free(seed);
	return ret;
}
