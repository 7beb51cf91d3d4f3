/* kiln ec2 upload IMAGE --role ROLE --region R: a role's raw image straight
 * into an EBS snapshot (EBS direct APIs, no S3 bucket, no VM Import) and an
 * AMI registered from it with the parameters of `kiln build --target ec2`'s
 * register-image JSON (ec2/ec2_kit.h). */
#include "ec2/ebs_upload.h"
#include "ec2/ec2_kit.h"
#include "ec2/ec2_register.h"
#include "installer/commands.h"
#include "installer/profile_state.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/numparse.h"
#include "lib/xalloc.h"
#include "profiles/profile.h"
#include "targets/target.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void ec2_usage(FILE *f)
{
	fprintf(f, "Usage: kiln ec2 upload IMAGE.raw --role ROLE --region REGION [OPTIONS]\n\n"
		   "Commands:\n"
		   "  upload   create an EBS snapshot from a raw role image through the EBS direct APIs\n"
		   "           and register an AMI from it (no S3 bucket, no VM Import role needed)\n\n"
		   "Run 'kiln ec2 upload --help' for its options.\n");
}

static void upload_usage(FILE *f)
{
	fprintf(f, "Usage: kiln ec2 upload IMAGE.raw --role ROLE --region REGION [OPTIONS]\n\n"
		   "Send the blocks of IMAGE.raw that hold data to a new EBS snapshot (StartSnapshot,\n"
		   "PutSnapshotBlock, CompleteSnapshot), wait until it is completed, and register an AMI\n"
		   "from it: UEFI, ENA, IMDSv2, root /dev/xvda gp3, and for mysql/minio a blank gp3 data\n"
		   "volume /dev/sdf. Prints 'snapshot snap-...' and 'image ami-...' on stdout.\n\n"
		   "Options:\n"
		   "  --role ROLE            app, mysql, minio or lb (required)\n"
		   "  --region REGION        AWS region (default: $AWS_REGION, then $AWS_DEFAULT_REGION)\n"
		   "  --profile PROFILE      deployment profile: AMI name, root and data volume sizes\n"
		   "                         from the role's hosts\n"
		   "  --name NAME            AMI name (default kiln-<deployment>-<role>-<version>;\n"
		   "                         required without --profile)\n"
		   "  --data-gib N           size of the blank data volume (mysql/minio; default from\n"
		   "                         --profile, required without it)\n"
		   "  --no-register          only make the snapshot\n"
		   "  --jobs N               blocks in flight (1-64, default 16)\n"
		   "  --endpoint-ebs URL     EBS endpoint (default https://ebs.REGION.amazonaws.com)\n"
		   "  --endpoint-ec2 URL     EC2 endpoint (default https://ec2.REGION.amazonaws.com)\n"
		   "  --progress             report progress on stderr even when it is not a terminal\n"
		   "  -h, --help             show this help\n\n"
		   "Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), else\n"
		   "~/.aws/credentials (or $AWS_SHARED_CREDENTIALS_FILE), profile $AWS_PROFILE or default.\n"
		   "IAM: ebs:StartSnapshot, ebs:PutSnapshotBlock, ebs:CompleteSnapshot,\n"
		   "ec2:DescribeSnapshots, ec2:RegisterImage.\n\n"
		   "Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

static bool region_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

/* EC2 allows 3-128 characters of letters, digits and ( ) [ ] . / - ' @ _ and
 * spaces; kiln takes those without '/' and spaces (the kit's names neither). */
static bool ami_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n > 128)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("()[].-'@_", *s)))
			return false;
	return true;
}

static bool endpoint_ok(const char *u)
{
	if ((strncmp(u, "https://", 8) && strncmp(u, "http://", 7)) || !u[strcspn(u, ":") + 3])
		return false;
	for (const char *p = u; *p; p++)
		if (*p <= 0x20 || *p > 0x7e)
			return false;
	return true;
}

/* The endpoint without a trailing '/' (malloc'd); endpoint_ok was checked. */
static char *endpoint_norm(const char *u)
{
	char *s = xstrdup(u);
	size_t n = strlen(s);
	while (n && s[n - 1] == '/')
		s[--n] = 0;
	return s;
}

struct upload_args {
	const char *image, *profile, *name, *region, *ep_ebs, *ep_ec2;
	int role;
	unsigned jobs, data_gib;
	bool data_gib_set, no_register;
	int progress;
};

static int image_size(const char *path, uint64_t *size)
{
	int fd = open_input(path, INPUT_BLOCKDEV, SIZE_MAX);
	if (fd == -EINVAL || fd == -EISDIR)
		return log_error_errno(fd, "image %s is not a regular file or block device", path);
	if (fd < 0)
		return log_error_errno(fd, "cannot open image %s", path);
	int r = 0;
	off_t end = lseek(fd, 0, SEEK_END);
	if (end <= 0)
		r = log_error_errno(end < 0 ? errno : EINVAL, "image %s is empty", path);
	else
		*size = (uint64_t)end;
	close(fd);
	return r;
}

/* The AMI's description: from the profile's role sizing, or the options. */
static int describe(const struct upload_args *a, uint64_t bytes, struct ec2_kit *k, char **deployment)
{
	unsigned img_gib = ebs_volume_gib(bytes);
	*k = (struct ec2_kit){ .role = role_name((enum role)a->role), .version = KILN_VERSION, .vmdk_name = "-",
			       .root_gib = img_gib, .data_gib = a->data_gib };
	if (!a->profile) {
		*deployment = xstrdup(a->name ? a->name : "kiln");
		k->deployment = *deployment;
		return 0;
	}
	struct model m;
	int r = profile_load_reported(a->profile, &m);
	if (r < 0)
		return r;
	struct role_sizing sz;
	role_sizing(&m, (enum role)a->role, &sz);
	if (!sz.n_hosts)
		r = log_error_errno(EINVAL, "%s has no %s host", a->profile, k->role);
	else {
		*deployment = xstrdup(m.name);
		k->deployment = *deployment;
		if (sz.os_disk_gib > k->root_gib)
			k->root_gib = sz.os_disk_gib;
		if (!a->data_gib_set)
			k->data_gib = sz.data_disk_gib;
	}
	model_free(&m);
	return r;
}

static int run_upload(const struct upload_args *a)
{
	uint64_t bytes = 0;
	if (image_size(a->image, &bytes) < 0)
		return 1;
	if (ebs_volume_gib(bytes) > EBS_MAX_GIB) {
		log_error("image %s is larger than EBS's %u GiB limit", a->image, EBS_MAX_GIB);
		return 1;
	}
	struct ec2_kit k;
	char *deployment = NULL;
	struct ec2_ami ami = { 0 };
	struct aws_creds creds = { 0 };
	char *ep_ebs = NULL, *ep_ec2 = NULL;
	int ret = 1;
	if (describe(a, bytes, &k, &deployment) < 0)
		goto out;
	if (ec2_ami_describe(&k, "snap-pending", a->name, &ami) < 0) {
		log_error("cannot describe the AMI (deployment or AMI name unusable)");
		goto out;
	}
	if (aws_creds_load(&creds) < 0)
		goto out;
	ep_ebs = a->ep_ebs ? endpoint_norm(a->ep_ebs) : xasprintf("https://ebs.%s.amazonaws.com", a->region);
	ep_ec2 = a->ep_ec2 ? endpoint_norm(a->ep_ec2) : xasprintf("https://ec2.%s.amazonaws.com", a->region);
	struct aws_service ebs = { ep_ebs, a->region, "ebs", &creds }, ec2 = { ep_ec2, a->region, "ec2", &creds };
	char *desc = xasprintf("kiln %s %s root disk", k.deployment, k.role);
	struct ebs_upload_opts o = { .image = a->image, .description = desc, .name = ami.name, .jobs = a->jobs,
				     .timeout_min = 60, .progress = a->progress };
	struct ebs_upload_result res;
	int r = ebs_upload(&ebs, &o, &res);
	free(desc);
	if (r < 0) {
		if (res.snapshot_id[0])
			log_error("snapshot %s was left pending; EBS cancels it %u minutes after the last write "
				  "(or delete it: aws ec2 delete-snapshot --snapshot-id %s)",
				  res.snapshot_id, o.timeout_min, res.snapshot_id);
		goto out;
	}
	log_info("snapshot %s: %llu of %llu blocks sent (the rest are zeros), %llu retries", res.snapshot_id,
		 (unsigned long long)res.blocks_sent, (unsigned long long)(res.blocks_sent + res.blocks_skipped),
		 (unsigned long long)res.retries);
	printf("snapshot %s\n", res.snapshot_id);
	fflush(stdout);
	if (a->no_register) {
		ret = 0;
		goto out;
	}
	/* The AMI's root volume is the snapshot just made. */
	ami.disks[0].snapshot_id = res.snapshot_id;
	char image_id[64];
	if (ec2_wait_snapshot(&ec2, res.snapshot_id, 3600) < 0 ||
	    ec2_register_image(&ec2, &ami, image_id, sizeof image_id) < 0) {
		log_error("snapshot %s is complete but no AMI was registered from it", res.snapshot_id);
		goto out;
	}
	printf("image %s\n", image_id);
	ret = 0;
out:
	ec2_ami_free(&ami);
	aws_creds_free(&creds);
	free(deployment);
	free(ep_ebs);
	free(ep_ec2);
	return ret;
}

static int cmd_ec2_upload(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "region", required_argument, NULL, 'R' },
		{ "profile", required_argument, NULL, 'P' },
		{ "name", required_argument, NULL, 'n' },
		{ "data-gib", required_argument, NULL, 'd' },
		{ "no-register", no_argument, NULL, 'N' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "endpoint-ebs", required_argument, NULL, 'E' },
		{ "endpoint-ec2", required_argument, NULL, 'C' },
		{ "progress", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct upload_args a = { .role = -1, .jobs = 16, .progress = isatty(STDERR_FILENO) };
	const char *role = NULL;
	int opt;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': role = optarg; break;
		case 'R': a.region = optarg; break;
		case 'P': a.profile = optarg; break;
		case 'n': a.name = optarg; break;
		case 'd':
			if (option_uint("--data-gib", optarg, 0, EBS_MAX_GIB, &a.data_gib) < 0)
				return 2;
			a.data_gib_set = true;
			break;
		case 'N': a.no_register = true; break;
		case 'j':
			if (option_uint("--jobs", optarg, 1, 64, &a.jobs) < 0)
				return 2;
			break;
		case 'E': a.ep_ebs = optarg; break;
		case 'C': a.ep_ec2 = optarg; break;
		case 'p': a.progress = 1; break;
		case 'h': upload_usage(stdout); return 0;
		default: upload_usage(stderr); return 2;
		}
	}
	if (argc - optind != 1) {
		log_error("ec2 upload wants one IMAGE (see 'kiln ec2 upload --help')");
		return 2;
	}
	a.image = argv[optind];
	if (!role) {
		log_error("missing --role (app, mysql, minio or lb)");
		return 2;
	}
	if ((a.role = role_from_name(role)) < 0) {
		log_error("unknown --role '%s' (use app, mysql, minio or lb)", role);
		return 2;
	}
	if (!a.region)
		a.region = getenv("AWS_REGION") && *getenv("AWS_REGION") ? getenv("AWS_REGION")
									  : getenv("AWS_DEFAULT_REGION");
	if (!a.region || !*a.region) {
		log_error("missing --region (or AWS_REGION)");
		return 2;
	}
	if (!region_ok(a.region)) {
		log_error("--region '%s' is not a region name (like eu-west-1)", a.region);
		return 2;
	}
	if (a.name && !ami_name_ok(a.name)) {
		log_error("--name wants 3-128 letters, digits or ( ) [ ] . - ' @ _, not '%s'", a.name);
		return 2;
	}
	const char *bad = a.ep_ebs && !endpoint_ok(a.ep_ebs) ? a.ep_ebs
			: a.ep_ec2 && !endpoint_ok(a.ep_ec2) ? a.ep_ec2 : NULL;
	if (bad) {
		log_error("endpoint '%s' is not an http:// or https:// URL", bad);
		return 2;
	}
	if (a.data_gib_set && !role_keeps_data(a.role)) {
		log_error("--data-gib is for mysql and minio (the %s role has no data volume)", role_name(a.role));
		return 2;
	}
	if (!a.profile && !a.no_register) {
		if (!a.name) {
			log_error("--name is required without --profile (it names the AMI)");
			return 2;
		}
		if (role_keeps_data(a.role) && !a.data_gib_set) {
			log_error("--data-gib is required for %s without --profile (the AMI's data volume)", role);
			return 2;
		}
	}
	return run_upload(&a);
}

int cmd_ec2(int argc, char **argv)
{
	if (argc < 2) {
		ec2_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		ec2_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "upload")) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		int r = cmd_ec2_upload(argc - 1, argv + 1);
		curl_global_cleanup();
		return r;
	}
	log_error("unknown ec2 command '%s' (see 'kiln ec2 --help')", argv[1]);
	return 2;
}
