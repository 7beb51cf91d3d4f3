#!/usr/bin/env bash
# kiln ec2 upload against the EBS direct API / EC2 stand-in
# (tests/fixtures/ebs/ebs_server.py, which verifies every SigV4 signature and
# the StartSnapshot/PutSnapshotBlock/CompleteSnapshot sequence): the
# reassembled snapshot equals the image, zero blocks are not sent, retries,
# refusals, the RegisterImage parameters, usage errors, and the secret key
# never shows up anywhere.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/fixtures/ebs/server.sh"
trap 'ebs_stop; rm -rf "$T"' EXIT

AK=AKIDKILNTEST0000001
SK=kilnTestSecret-$$-$RANDOM-QzXw9
EBS_KEYS=$T/keys
printf '%s %s\n' "$AK" "$SK" >"$EBS_KEYS"
ALL=$T/all-output          # every stdout/stderr of kiln, for the secret check
: >"$ALL"

# check_exit NAME CODE PATTERN CMD...: exit status CODE and stderr matching PATTERN.
check_exit() {
	local name=$1 code=$2 pat=$3; shift 3
	"$@" >"$T/out" 2>"$T/err"; local rc=$?
	cat "$T/out" "$T/err" >>"$ALL"
	if [ $rc -eq "$code" ] && ! grep -q Sanitizer "$T/err" && grep -Eq -- "$pat" "$T/err"; then ok "$name"
	else not_ok "$name (exit $rc, wanted $code and /$pat/)"; sed 's/^/#   /' "$T/err" | head -10; fi
}

with_keys() { env AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" "$@"; }
# kiln_up DIR ARGS...: upload against the running server; stdout in DIR.out, stderr in DIR.err.
kiln_up() {
	local out=$1; shift
	"$@" --region us-east-1 --endpoint-ebs "$EBS_ENDPOINT" --endpoint-ec2 "$EBS_ENDPOINT/" >"$out.out" 2>"$out.err"
	local rc=$?
	cat "$out.out" "$out.err" >>"$ALL"
	return $rc
}
snap_of() { sed -n 's/^snapshot \(snap-[0-9a-f]*\)$/\1/p' "$1.out"; }
ami_of() { sed -n 's/^image \(ami-[0-9a-f]*\)$/\1/p' "$1.out"; }
json() { /usr/bin/python3 -c 'import json,sys; print(eval(sys.argv[2], {"j": json.load(open(sys.argv[1]))}))' "$@"; }

# --- a sparse test image: 300 MiB + 300 KiB + 7 bytes (VolumeSize 1), data
# at the start, across a block boundary, a block of written zeros (data on
# disk, all zero: must not be sent), holes, and a partial last block.
IMG=$T/disk.raw
SIZE=$(( (300 << 20) + 300 * 1024 + 7 ))
truncate -s "$SIZE" "$IMG"
head -c 4096 /dev/urandom | dd of="$IMG" conv=notrunc status=none
head -c 1000000 /dev/urandom | dd of="$IMG" bs=64K iflag=fullblock oflag=seek_bytes seek=$((7 * 524288 - 1000)) conv=notrunc status=none
head -c 524288 /dev/zero | dd of="$IMG" bs=524288 seek=40 conv=notrunc status=none
head -c 100 /dev/urandom | dd of="$IMG" oflag=seek_bytes seek=$((SIZE - 100)) conv=notrunc status=none
# The expected blocks, counted independently of kiln.
WANT=$(/usr/bin/python3 - "$IMG" <<'PY'
import sys
idx = []
with open(sys.argv[1], "rb") as f:
    i = 0
    while True:
        b = f.read(524288)
        if not b:
            break
        if b.count(0) != len(b):
            idx.append(i)
        i += 1
print(",".join(map(str, idx)))
PY
)
# same_as_image SNAPSHOT.raw: the volume (1 GiB) starts with the image; the
# rest is zeros because no block index beyond the image was written (checked
# against WANT below).
same_as_image() {
	test "$(stat -c %s "$1")" -eq $((1 << 30)) || return 1
	/usr/bin/python3 - "$IMG" "$1" "$SIZE" <<'PY'   # cmp -n, but cmp is slow on this machine
import sys
left = int(sys.argv[3])
with open(sys.argv[1], "rb") as a, open(sys.argv[2], "rb") as b:
    while left:
        n = min(left, 1 << 22)
        if a.read(n) != b.read(n):
            sys.exit(1)
        left -= n
PY
}

# --- usage errors (exit 2) and help
check_output "kiln ec2 --help" 'upload +create an EBS snapshot' "$KILN" ec2 --help
check_output "kiln ec2 upload --help names the IAM actions" 'ebs:PutSnapshotBlock' "$KILN" ec2 upload --help
check_output "kiln --help lists ec2" '^  ec2 ' "$KILN" --help
check_exit "kiln ec2 without a command" 2 'Usage: kiln ec2 upload' "$KILN" ec2
check_exit "unknown ec2 command" 2 "unknown ec2 command 'frob'" "$KILN" ec2 frob
check_exit "unknown option" 2 'unrecognized option' "$KILN" ec2 upload "$IMG" --role app --region us-east-1 --name x-y --bogus
check_exit "missing --role" 2 'missing --role' "$KILN" ec2 upload "$IMG" --region us-east-1 --name abc
check_exit "bad role" 2 "unknown --role 'db'" "$KILN" ec2 upload "$IMG" --role db --region us-east-1 --name abc
check_exit "missing region" 2 'missing --region' env -u AWS_REGION -u AWS_DEFAULT_REGION "$KILN" ec2 upload "$IMG" --role app --name abc
check_exit "bad region" 2 "not a region name" "$KILN" ec2 upload "$IMG" --role app --region 'us east' --name abc
check_exit "--jobs 0" 2 '--jobs wants a number from 1 to 64' "$KILN" ec2 upload "$IMG" --role app --region r --name abc --jobs 0
for v in "" "-1" "+4" " 4" "4x" "0x4" "18446744073709551620"; do
	check_exit "--jobs '$v' is a usage error" 2 "--jobs wants a number from 1 to 64, not '${v//+/\\+}'" \
		"$KILN" ec2 upload "$IMG" --role app --region r --name abc --jobs "$v"
	check_exit "--data-gib '$v' is a usage error" 2 "--data-gib wants a number from 0 to [0-9]+, not '${v//+/\\+}'" \
		"$KILN" ec2 upload "$IMG" --role mysql --region r --name abc --data-gib "$v"
done
check_exit "no IMAGE" 2 'wants one IMAGE' "$KILN" ec2 upload --role app --region r --name abc
check_exit "--name needed without --profile" 2 '--name is required without --profile' "$KILN" ec2 upload "$IMG" --role app --region r
check_exit "--data-gib needed for mysql without --profile" 2 '--data-gib is required for mysql' \
	"$KILN" ec2 upload "$IMG" --role mysql --region r --name abc
check_exit "--data-gib for app" 2 '--data-gib is for mysql and minio' "$KILN" ec2 upload "$IMG" --role app --region r --name abc --data-gib 5
check_exit "bad AMI name" 2 '--name wants 3-128' "$KILN" ec2 upload "$IMG" --role app --region r --name 'a/b c'
check_exit "bad endpoint" 2 "endpoint 'ftp://x' is not an http" "$KILN" ec2 upload "$IMG" --role app --region r --name abc --endpoint-ebs ftp://x

# --- bad inputs before any request (exit 1)
check_exit "missing image" 1 'cannot open image .*nope.raw' with_keys "$KILN" ec2 upload "$T/nope.raw" --role app --region r --name abc
: >"$T/empty.raw"
check_exit "empty image" 1 'image .*empty.raw is empty' with_keys "$KILN" ec2 upload "$T/empty.raw" --role app --region r --name abc
mkdir -p "$T/home"
check_exit "missing credentials" 1 'no AWS credentials' env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	-u AWS_SHARED_CREDENTIALS_FILE HOME="$T/home" "$KILN" ec2 upload "$IMG" --role app --region r --name abc
check_exit "half the credentials" 1 'AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not' env -u AWS_SECRET_ACCESS_KEY \
	AWS_ACCESS_KEY_ID="$AK" "$KILN" ec2 upload "$IMG" --role app --region r --name abc
mkfifo "$T/fifo.raw"
check_exit "a FIFO as image: refused at once" 1 'image .*fifo.raw is not a regular file or block device' \
	with_keys timeout 10 "$KILN" ec2 upload "$T/fifo.raw" --role app --region r --name abc
check_exit "a character device as image" 1 'image /dev/zero is not a regular file or block device' \
	with_keys "$KILN" ec2 upload /dev/zero --role app --region r --name abc
check_exit "a FIFO as profile: refused at once" 1 'fifo.raw:1:1: error: the profile is not a regular file' with_keys timeout 10 \
	"$KILN" ec2 upload "$IMG" --role app --region r --profile "$T/fifo.raw"
printf 'kiln: 1\ndeployment:\n  name: [oops\n' >"$T/bad.yaml"
check_exit "a bad profile is reported with file:line:column" 1 'bad.yaml:[0-9]+:[0-9]+: ' with_keys "$KILN" ec2 upload "$IMG" \
	--role app --region r --profile "$T/bad.yaml"
check_exit "a missing profile" 1 'none.yaml:1:1: error: the profile is missing' with_keys "$KILN" ec2 upload "$IMG" --role app --region r \
	--profile "$T/none.yaml"

# --- the upload
if ! ebs_start "$T/s1" --hidden-polls 1 --pending-polls 1; then not_ok "ebs_server starts"; exit 1; fi
ok "ebs_server starts"
if kiln_up "$T/up1" with_keys "$KILN" ec2 upload "$IMG" --role app --name kiln-test-app --progress; then
	ok "upload exits 0"
else
	not_ok "upload exits 0"; sed 's/^/#   /' "$T/up1.err"
fi
S1=$(snap_of "$T/up1"); A1=$(ami_of "$T/up1")
check "stdout is 'snapshot snap-...' then 'image ami-...'" test "$(sed 's/ .*//' "$T/up1.out" | tr '\n' ' ')" = "snapshot image "
check "the snapshot equals the image, zero-padded to VolumeSize" same_as_image "$T/s1/$S1.raw"
check_output "VolumeSize rounded up to 1 GiB" '^1$' json "$T/s1/$S1.json" 'j["volume_size"]'
check_output "exactly the non-zero blocks were sent (holes and the zero block skipped)" "^$WANT\$" \
	json "$T/s1/$S1.json" '",".join(map(str, j["indexes"]))'
check_output "no block sent twice" "^$(tr ',' '\n' <<<"$WANT" | wc -l)\$" json "$T/s1/$S1.json" 'j["puts"]'
check "the partial last block was sent" grep -q "$(( (SIZE - 1) / 524288 ))\$" <(json "$T/s1/$S1.json" 'j["indexes"][-1]')
check "DescribeSnapshots was asked until completed" test "$(grep -c ' 200 DescribeSnapshots' "$T/s1/requests.log")" -eq 2
check_output "a snapshot EC2 does not see yet is waited for" 'is not visible to EC2 yet; asking again' cat "$T/up1.err"
check_output "progress on stderr" 'kiln: ebs: 100% of 300 MiB read, [0-9]+ blocks sent' cat "$T/up1.err"
R1=$T/s1/$A1.json
check_output "RegisterImage: root device /dev/xvda from the snapshot" "^/dev/xvda $S1 1 gp3 true\$" json "$R1" \
	'" ".join([j["RootDeviceName"], j["BlockDeviceMapping.1.Ebs.SnapshotId"], j["BlockDeviceMapping.1.Ebs.VolumeSize"], j["BlockDeviceMapping.1.Ebs.VolumeType"], j["BlockDeviceMapping.1.Ebs.DeleteOnTermination"]])'
check_output "RegisterImage: UEFI preferred (BIOS fallback), ENA, IMDSv2, hvm, x86_64, the name" '^uefi-preferred true v2.0 hvm x86_64 simple kiln-test-app$' json "$R1" \
	'" ".join([j["BootMode"], j["EnaSupport"], j["ImdsSupport"], j["VirtualizationType"], j["Architecture"], j["SriovNetSupport"], j["Name"]])'
check_output "app AMI has no data volume" '^False$' json "$R1" '"BlockDeviceMapping.2.DeviceName" in j'

# --- the profile's sizing, credentials from ~/.aws/credentials
mkdir -p "$T/home/.aws"
printf '[default]\naws_access_key_id = WRONG\naws_secret_access_key = WRONG\n\n[kiln]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	"$AK" "$SK" >"$T/home/.aws/credentials"
chmod 644 "$T/home/.aws/credentials"
if kiln_up "$T/up2" env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SHARED_CREDENTIALS_FILE HOME="$T/home" AWS_PROFILE=kiln \
	"$KILN" ec2 upload "$IMG" --role mysql --profile "$ROOT/profiles/examples/onprem.yaml" --jobs 1; then
	ok "upload with --profile and the credentials file"
else
	not_ok "upload with --profile and the credentials file"; sed 's/^/#   /' "$T/up2.err"
fi
check_output "a group-readable credentials file is warned about" 'credentials can be read by group or others' cat "$T/up2.err"
check "--jobs 1 gives the same snapshot" same_as_image "$T/s1/$(snap_of "$T/up2").raw"
R2=$T/s1/$(ami_of "$T/up2").json
check_output "mysql AMI: name from the profile, root 10 GiB, data volume /dev/sdf 50 GiB kept" \
	'^kiln-acme-mysql-0.1.0 10 /dev/sdf 50 gp3 false$' json "$R2" \
	'" ".join([j["Name"], j["BlockDeviceMapping.1.Ebs.VolumeSize"], j["BlockDeviceMapping.2.DeviceName"], j["BlockDeviceMapping.2.Ebs.VolumeSize"], j["BlockDeviceMapping.2.Ebs.VolumeType"], j["BlockDeviceMapping.2.Ebs.DeleteOnTermination"]])'
check_output "the data volume is blank (no snapshot)" '^False$' json "$R2" '"BlockDeviceMapping.2.Ebs.SnapshotId" in j'
check_exit "the credentials file's [default] profile is used without AWS_PROFILE (and is wrong here)" 1 \
	'InvalidAccessKeyId|UnrecognizedClientException' env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_PROFILE \
	HOME="$T/home" "$KILN" ec2 upload "$IMG" --role app --name abc --region us-east-1 --endpoint-ebs "$EBS_ENDPOINT"

# --- --no-register
if kiln_up "$T/up3" with_keys "$KILN" ec2 upload "$IMG" --role app --no-register; then ok "--no-register exits 0"
else not_ok "--no-register exits 0"; sed 's/^/#   /' "$T/up3.err"; fi
check "--no-register prints only the snapshot" test "$(cut -d' ' -f1 "$T/up3.out")" = snapshot
check "--no-register registers nothing" test "$(ls "$T/s1"/ami-*.json | wc -l)" -eq 2

# --- wrong secret key: the signature is refused, nothing is left behind
check_exit "wrong secret key: clear error, exit 1" 1 'StartSnapshot failed: HTTP 403 InvalidSignatureException: The request signature we calculated does not match' \
	env AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="not-$SK" "$KILN" ec2 upload "$IMG" --role app --name abc \
	--region us-east-1 --endpoint-ebs "$EBS_ENDPOINT" --endpoint-ec2 "$EBS_ENDPOINT"
check_exit "wrong region: the scope is refused" 1 'InvalidSignatureException|region' with_keys "$KILN" ec2 upload "$IMG" \
	--role app --name abc --region eu-west-1 --endpoint-ebs "$EBS_ENDPOINT" --endpoint-ec2 "$EBS_ENDPOINT"
ebs_stop

# --- faults: 500s and throttling are retried, the result is still exact
if ! ebs_start "$T/s2" --fail-start 1 --fail-put 2,3 --throttle-put 5; then not_ok "ebs_server starts (faults)"; exit 1; fi
if kiln_up "$T/up4" with_keys "$KILN" ec2 upload "$IMG" --role app --name kiln-retry --jobs 4; then ok "upload survives 500s and throttling"
else not_ok "upload survives 500s and throttling"; sed 's/^/#   /' "$T/up4.err"; fi
S4=$(snap_of "$T/up4")
check "after retries the snapshot equals the image" same_as_image "$T/s2/$S4.raw"
check_output "StartSnapshot's 500 was retried" 'StartSnapshot: HTTP 500 InternalServerException.*retrying' cat "$T/up4.err"
check_output "PutSnapshotBlock's 500 was retried" 'PutSnapshotBlock [0-9]+: HTTP 500 InternalServerException.*retrying' cat "$T/up4.err"
check_output "throttling was retried" 'HTTP 400 RequestThrottledException.*retrying' cat "$T/up4.err"
check_output "three failed block requests, then every block once" "^$(( $(tr ',' '\n' <<<"$WANT" | wc -l) + 3 ))\$" \
	json "$T/s2/$S4.json" 'j["put_requests"]'
check "the retried StartSnapshot (same ClientToken) made no second snapshot" test "$(ls "$T/s2"/snap-*.raw | wc -l)" -eq 1
ebs_stop

# --- refusals after StartSnapshot: the pending snapshot is named
if ! ebs_start "$T/s3" --deny-put; then not_ok "ebs_server starts (deny)"; exit 1; fi
kiln_up "$T/up5" with_keys "$KILN" ec2 upload "$IMG" --role app --name abc; rc=$?
P5=$(sed -n 's/.*snapshot \(snap-[0-9a-f]*\) was left pending.*/\1/p' "$T/up5.err")
check "a refused block: exit 1" test $rc -eq 1
check_output "the refusal is explained" 'PutSnapshotBlock [0-9]+ of snap-[0-9a-f]+ failed: HTTP 403 AccessDeniedException: User is not authorized' cat "$T/up5.err"
check "the pending snapshot's id is printed, and it is the one started" test -n "$P5" -a -e "$T/s3/$P5.raw.part"
check "nothing on stdout when no snapshot completed" test ! -s "$T/up5.out"
ebs_stop

# --- RegisterImage refused; session token
if ! ebs_start "$T/s4" --fail-register --session-token 'tok/en+=='; then not_ok "ebs_server starts (register)"; exit 1; fi
kiln_up "$T/up6" with_keys AWS_SESSION_TOKEN='tok/en+==' "$KILN" ec2 upload "$IMG" --role app --name abc; rc=$?
check "RegisterImage refused: exit 1" test $rc -eq 1
check_output "the snapshot is still reported on stdout" '^snapshot snap-' cat "$T/up6.out"
check_output "RegisterImage's error is shown" 'RegisterImage failed: HTTP 400 InvalidAMIName.Duplicate' cat "$T/up6.err"
check_output "and what is left" 'is complete but no AMI was registered' cat "$T/up6.err"
check "the session token was accepted (the snapshot completed)" test -e "$T/s4/$(snap_of "$T/up6").raw"
check_exit "a wrong session token is refused" 1 'security token included in the request is invalid' \
	with_keys AWS_SESSION_TOKEN=other "$KILN" ec2 upload "$IMG" --role app --name abc --region us-east-1 \
	--endpoint-ebs "$EBS_ENDPOINT" --endpoint-ec2 "$EBS_ENDPOINT"
ebs_stop

# --- no secret anywhere: kiln's output, the servers' logs, the argv kiln got
check "the secret key is in no output or server log" bash -c '! grep -rqF -- "$1" "$2" "$3"/s1 "$3"/s2 "$3"/s3 "$3"/s4' _ "$SK" "$ALL" "$T"
check "the session token is in no output or server log" bash -c '! grep -rqF -- "tok/en+==" "$1" "$2"/s4' _ "$ALL" "$T"
