/* kiln backup keys init | list | verify | restore: options only; the work is
 * installer/backup_keys.c and installer/backup_ops.c over lib/backup_*.h.
 * docs/backup.md says what exists now and what does not yet. */
#include "installer/backup_keys.h"
#include "installer/backup_ops.h"
#include "installer/commands.h"
#include "installer/keystore.h"
#include "installer/profile_state.h"
#include "lib/backup_object.h"
#include "lib/backup_pitr.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define KEY_OPTS \
	"  --state DIR        the deployment's state directory (its backup.key)\n" \
	"  --profile PROFILE  find the state directory from the profile (.kiln/<deployment>/)\n" \
	"  --key FILE         a backup secret key file kept elsewhere (0600)\n"

static const char *const usages[] = {
	"Usage: kiln backup keys init [PROFILE] [--state DIR]\n\n"
	"Create the deployment's backup key pair in its state directory: backup.key\n"
	"(0600, the X25519 secret key that opens every backup) and backup.pub (0644,\n"
	"what MySQL primaries seal their backups to). The directory must exist\n"
	"('kiln keys init' makes it). An existing or partial pair is never replaced:\n"
	"backups sealed to it would become unreadable. Keep a copy of backup.key off\n"
	"this machine.\n\n"
	"  --state DIR   state directory (default <profile dir>/.kiln/<deployment>/;\n"
	"                without PROFILE it must be given)\n",
	"Usage: kiln backup list --from DIR [--json]\n\n"
	"List the backup objects (*.kbk files, named by their path below DIR) with what\n"
	"their headers say: kind, creation time, size, key id. The size is the\n"
	"plaintext's, or for a compressed object the compressed bytes' (\"zstd\" after\n"
	"it; verify prints the plaintext's). Needs no key and proves\n"
	"nothing: 'kiln backup verify' authenticates. An object whose header is\n"
	"malformed, names another object or has an impossible size is named on stderr\n"
	"and the exit status is 1.\n\n"
	"  --from DIR   a local directory of backup objects (a copied bucket)\n"
	"  --json       one JSON object: {\"objects\":[...],\"refused\":[...]}\n",
	"Usage: kiln backup verify --from DIR (--state DIR | --profile PROFILE | --key FILE) [NAME...]\n\n"
	"Read every backup object below DIR (or the NAMEs given) to its end and check\n"
	"that all of it is authentic, under its own name, for this key. No plaintext is\n"
	"written anywhere. Prints 'ok NAME ...' per good object; names each refused one\n"
	"on stderr; exit status 1 if any was refused or none was found.\n\n"
	"  --from DIR         a local directory of backup objects\n" KEY_OPTS,
	"Usage: kiln backup restore NAME --from DIR --out PATH [--extract] (--state DIR | --profile PROFILE | --key FILE)\n"
	"       kiln backup restore --host HOST [--to TIME] --from DIR --out DIR (--state DIR | --profile PROFILE | --key FILE)\n\n"
	"With --host: restore MySQL host HOST's database to TIME ('latest', the default,\n"
	"or YYYY-MM-DDTHH:MM:SSZ in UTC) into DIR/data, a MariaDB data directory: the\n"
	"newest full backup of HOST at or before TIME, prepared, then the binary logs\n"
	"shipped after it replayed from its position up to TIME (every transaction\n"
	"committed at or before TIME, none after) into a temporary mariadbd on it (no\n"
	"network; stopped at the end). Every object is authenticated whole before it\n"
	"is used. DIR must not exist; on failure nothing is left.\n\n"
	"With NAME: decrypt backup object NAME (as 'kiln backup list' names it) to PATH, or, if\n"
	"PATH is a directory, to the object's last name segment without .kbk in it;\n"
	"mode 0600. Nothing is written unless the whole object authenticates (a\n"
	"temporary file beside it is renamed into place at the end, removed on any\n"
	"failure); an existing file is never overwritten. --out - streams it to stdout\n"
	"(not a terminal) after a first pass that authenticates the whole object and\n"
	"writes nothing: no plaintext copy on disk ('... --out - | mbstream -x -C DIR').\n"
	"--extract (a full backup) decrypts it straight into mbstream -x, in one pass,\n"
	"into a private directory beside PATH that becomes PATH (new, or empty) only\n"
	"once the whole object authenticated and mbstream exited 0; on any failure it\n"
	"is removed and nothing is left.\n\n"
	"  --from DIR         a local directory of backup objects\n"
	"  --out PATH         the file to write, or a directory to write it in, or - for\n"
	"                     stdout (--host, --extract: the directory to create)\n"
	"  --extract          extract the object (an xbstream) with mbstream -x into PATH\n"
	"  --host HOST        point-in-time restore of HOST (the objects below HOST/)\n"
	"  --to TIME          latest (default), or YYYY-MM-DDTHH:MM:SSZ / 'YYYY-MM-DD HH:MM:SS' (UTC)\n" KEY_OPTS,
	"Usage: kiln backup prune PROFILE [--state DIR] [--endpoint URL] [--dry-run]\n\n"
	"Delete from the backup bucket what backup.keep_days no longer needs: for each\n"
	"MySQL primary, every object older than keep_days and older than the newest\n"
	"full backup at or before that age (which stays, with everything shipped since:\n"
	"every point in time of the last keep_days stays restorable; the newest full\n"
	"backup always stays). Runs on the operator's machine with the object store's\n"
	"admin credential (minio_root_user/minio_root_password in the state directory):\n"
	"the hosts' keys cannot delete. With backup.s3 (an external endpoint) the\n"
	"credential is the operator's own for it, found as the AWS CLI finds it\n"
	"(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else ~/.aws/credentials). In a\n"
	"versioned bucket a deleted object's data stays as a noncurrent version until\n"
	"the store's own lifecycle removes it.\n\n"
	"  --state DIR      state directory (default <profile dir>/.kiln/<deployment>/)\n"
	"  --endpoint URL   the object store's S3 endpoint (default backup.s3.endpoint, else\n"
	"                   http://<minio host>:9000)\n"
	"  --dry-run        print what would be deleted; delete nothing\n",
};
enum { U_KEYS, U_LIST, U_VERIFY, U_RESTORE, U_PRUNE };

static void backup_usage(FILE *f)
{
	fprintf(f, "Usage: kiln backup keys init [PROFILE] [--state DIR]\n"
		   "       kiln backup list --from DIR [--json]\n"
		   "       kiln backup verify --from DIR (--state DIR | --profile PROFILE | --key FILE) [NAME...]\n"
		   "       kiln backup restore NAME --from DIR --out PATH [--extract] (--state DIR | --profile PROFILE | --key FILE)\n"
		   "       kiln backup restore --host HOST [--to TIME] --from DIR --out DIR (--state DIR | --profile PROFILE | --key FILE)\n"
		   "       kiln backup prune PROFILE [--state DIR] [--endpoint URL] [--dry-run]\n\n"
		   "The operator's side of encrypted backups (docs/backup.md): the backup key pair,\n"
		   "and listing, verifying and restoring backup objects from a local directory.\n"
		   "MySQL primaries make the backups when the profile has backup:.\n"
		   "'kiln backup COMMAND --help' for each.\n");
}

static int usage_error(int which)
{
	fputs(usages[which], stderr);
	return 2;
}

struct backup_opts {
	const char *state, *profile, *key, *from, *out, *host, *to, *endpoint;
	bool json, dry_run, extract;
};

/* Parses argv (argv[0] the subcommand); -1 with usage printed on error, 1
 * for --help (printed), else 0 with optind at the first operand. */
static int parse(int which, int argc, char **argv, struct backup_opts *o)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "profile", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ "from", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "host", required_argument, NULL, 'H' },
		{ "to", required_argument, NULL, 't' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "extract", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* which options each subcommand takes */
	static const char *const allowed[] = { "s", "f j", "s p k f", "s p k f o H t x", "s e n" };
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usages[which], stdout);
			return 1;
		}
		if (c == '?' || !strchr(allowed[which], c)) {
			if (c != '?')
				log_error("this option does not apply to 'kiln backup %s'", argv[0]);
			usage_error(which);
			return -1;
		}
		const char **slot = c == 's' ? &o->state : c == 'p' ? &o->profile : c == 'k' ? &o->key : c == 'f' ? &o->from
			: c == 'o' ? &o->out
			: c == 'H' ? &o->host : c == 't' ? &o->to : c == 'e' ? &o->endpoint : NULL;
		if (slot)
			*slot = optarg;
		else if (c == 'n')
			o->dry_run = true;
		else if (c == 'x')
			o->extract = true;
		else
			o->json = true;
	}
	return 0;
}

/* The key for verify and restore: exactly one of --state, --profile, --key
 * (--state with --profile: that directory, checked against the profile). */
static int load_key(const struct backup_opts *o, struct role_keypair **key)
{
	if (o->key)
		return backup_key_load_file(o->key, key);
	_cleanup_free_ char *state = NULL, *deployment = NULL;
	int r = profile_state_resolve(o->profile, o->state, &state, &deployment);
	if (r < 0)
		return r;
	return backup_key_load_state(state, o->profile, deployment, key);
}

static bool one_key_source(const struct backup_opts *o)
{
	return o->key ? !o->state && !o->profile : o->state || o->profile;
}

static int run_keys(int argc, char **argv)
{
	struct backup_opts o = { 0 };
	int r = parse(U_KEYS, argc, argv, &o);
	if (r != 0)
		return r > 0 ? 0 : 2;
	int ops = argc - optind;
	if (ops < 1 || ops > 2 || strcmp(argv[optind], "init") != 0 || (ops == 1 && !o.state))
		return usage_error(U_KEYS);
	const char *profile = ops == 2 ? argv[optind + 1] : NULL;
	_cleanup_free_ char *state = NULL, *deployment = NULL;
	if (profile_state_resolve(profile, o.state, &state, &deployment) < 0)
		return 1;
	return backup_keys_init(state, profile, deployment) < 0 ? 1 : 0;
}

static int run_list(int argc, char **argv)
{
	struct backup_opts o = { 0 };
	int r = parse(U_LIST, argc, argv, &o);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (argc != optind || !o.from)
		return usage_error(U_LIST);
	return backup_list(o.from, o.json) < 0 ? 1 : 0;
}

static int run_verify(int argc, char **argv)
{
	struct backup_opts o = { 0 };
	int r = parse(U_VERIFY, argc, argv, &o);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (!o.from || !one_key_source(&o))
		return usage_error(U_VERIFY);
	struct role_keypair *key = NULL;
	if (load_key(&o, &key) < 0)
		return 1;
	r = backup_verify(o.from, key, argv + optind, (size_t)(argc - optind));
	role_keypair_free(key);
	return r < 0 ? 1 : 0;
}

static int run_restore(int argc, char **argv)
{
	struct backup_opts o = { 0 };
	int r = parse(U_RESTORE, argc, argv, &o);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (argc - optind != (o.host ? 0 : 1) || (o.to && !o.host) || !o.from || !o.out || !one_key_source(&o))
		return usage_error(U_RESTORE);
	if (o.host && !strcmp(o.out, "-")) {
		log_error("--out - is for one object (NAME); --host restores into a directory");
		return usage_error(U_RESTORE);
	}
	if (o.extract && (o.host || !strcmp(o.out, "-"))) {
		log_error("--extract is for one object (NAME) into a directory (--out DIR): not with %s", o.host ? "--host" : "--out -");
		return usage_error(U_RESTORE);
	}
	int64_t target = PITR_LATEST;
	if (o.to && backup_target_parse(o.to, &target) < 0) {
		log_error("--to '%s' is no time: latest, YYYY-MM-DDTHH:MM:SSZ or 'YYYY-MM-DD HH:MM:SS' (UTC)", o.to);
		return usage_error(U_RESTORE);
	}
	if (o.host && !backup_name_valid(o.host)) {
		log_error("--host '%s' is no host name of backup objects", o.host);
		return usage_error(U_RESTORE);
	}
	if (o.host && strchr(o.host, '/')) {
		log_error("--host '%s' is no host name of backup objects", o.host);
		return usage_error(U_RESTORE);
	}
	struct role_keypair *key = NULL;
	if (load_key(&o, &key) < 0)
		return 1;
	r = o.host ? backup_restore_pitr(o.from, key, o.host, target, o.out)
		   : backup_restore(o.from, key, argv[optind], o.out, o.extract);
	role_keypair_free(key);
	return r < 0 ? 1 : 0;
}

static int run_prune(int argc, char **argv)
{
	struct backup_opts o = { 0 };
	int r = parse(U_PRUNE, argc, argv, &o);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (argc - optind != 1)
		return usage_error(U_PRUNE);
	const char *profile = argv[optind];
	if (o.endpoint && strncmp(o.endpoint, "http://", 7) && strncmp(o.endpoint, "https://", 8)) {
		log_error("--endpoint '%s' is no http(s):// URL", o.endpoint);
		return usage_error(U_PRUNE);
	}
	struct model m;
	if (profile_load_reported(profile, &m) < 0)
		return 1;
	if (!m.backup.on) {
		log_error("%s has no backup: section: nothing to prune", profile);
		model_free(&m);
		return 1;
	}
	_cleanup_free_ char *state = NULL, *deployment = NULL;
	r = profile_state_resolve(profile, o.state, &state, &deployment);
	if (r == 0)
		r = keystore_check_dir(state);
	if (r == 0)
		r = backup_prune(&m, state, o.endpoint, o.dry_run);
	model_free(&m);
	return r < 0 ? 1 : 0;
}

int cmd_backup(int argc, char **argv)
{
	static const struct { const char *name; int (*run)(int, char **); } subs[] = {
		{ "keys", run_keys }, { "list", run_list }, { "verify", run_verify }, { "restore", run_restore },
		{ "prune", run_prune },
	};
	if (argc < 2) {
		backup_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		backup_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].run(argc - 1, argv + 1);
	log_error("unknown backup command '%s' (see 'kiln backup --help')", argv[1]);
	return 2;
}
