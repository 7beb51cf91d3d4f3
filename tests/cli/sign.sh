#!/usr/bin/env bash
# kiln sign / kiln verify against minisign 0.11 as the oracle, both ways.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/crypto_lib.sh"
setup_deployment
head -c 3000000 /dev/urandom >"$T/image.raw"
mkdir -m 700 "$T/empty-state"

check_output "sign --help" 'Usage: kiln sign' kiln sign --help
check_fails "sign needs --state or --profile" 'Usage: kiln sign' kiln sign "$T/image.raw"
check_fails "sign --version must be a number" "--version wants a number from 0 to 18446744073709551615, not 'x'" kiln sign "$T/image.raw" --state "$S" --version x
for v in "" "+3" " 3" "3 " "0x3" "18446744073709551616"; do
	"$KILN" sign "$T/image.raw" --state "$S" --version "$v" >"$T/out" 2>"$T/err"; rc=$?
	if [ $rc -eq 2 ] && grep -qF -- "--version wants a number from 0 to 18446744073709551615, not '$v'" "$T/err"; then
		ok "sign --version '$v' is a usage error"
	else not_ok "sign --version '$v' (exit $rc)"; sed 's/^/#   /' "$T/err"; fi
done
check "... and wrote no signature" test ! -e "$T/image.raw.minisig"
check "kiln sign" kiln sign "$T/image.raw" --state "$S" --version 3
check "signature file written" test -s "$T/image.raw.minisig"
check_output "minisign -V accepts kiln's signature" 'Signature and comment signature verified' minisign -V -p "$S/operator.pub" -m "$T/image.raw"
check_output "minisign -V -H (prehashed) accepts it" 'Signature and comment signature verified' minisign -V -H -p "$S/operator.pub" -m "$T/image.raw"
check_output "minisign shows deployment and version in the trusted comment" 'Trusted comment: timestamp:[0-9]+	file:image.raw	deployment:acme	version:3$' minisign -V -p "$S/operator.pub" -m "$T/image.raw"
check_output "kiln verify accepts it" '^Trusted comment: timestamp:[0-9]+	file:image.raw	deployment:acme	version:3$' kiln verify "$T/image.raw" --pubkey "$S/operator.pub"
check_output "kiln verify --state" 'version:3' kiln verify --state "$S" "$T/image.raw"
check "sign --profile finds the state dir" kiln sign --profile "$P" "$T/image.raw"
check_output "... default version 0" 'version:0$' kiln verify "$T/image.raw" --state "$S"

# one byte changed: both refuse
cp "$T/image.raw" "$T/image.bak"
printf 'X' | dd of="$T/image.raw" bs=1 seek=1234567 conv=notrunc 2>/dev/null
cmp -s "$T/image.raw" "$T/image.bak" && printf 'Y' | dd of="$T/image.raw" bs=1 seek=1234567 conv=notrunc 2>/dev/null
check_fails "minisign refuses a one-byte change" 'verification failed|Signature verification failed' minisign -V -p "$S/operator.pub" -m "$T/image.raw"
check_fails "kiln verify refuses a one-byte change" 'signature verification failed' kiln verify "$T/image.raw" --pubkey "$S/operator.pub"
cp "$T/image.bak" "$T/image.raw"
sed -i 's/version:0/version:9/' "$T/image.raw.minisig"
check_fails "kiln verify refuses an edited trusted comment" 'signature verification failed' kiln verify "$T/image.raw" --state "$S"
check_fails "minisign refuses it too" 'failed' minisign -V -p "$S/operator.pub" -m "$T/image.raw"

# minisign-made keys and signatures verify with kiln
minisign -G -W -p "$T/ms.pub" -s "$T/ms.key" >/dev/null 2>&1
echo "release notes" >"$T/notes.txt"
minisign -S -s "$T/ms.key" -m "$T/notes.txt" -t "made by minisign" >/dev/null 2>&1
check_output "kiln verify accepts a minisign -S signature" '^Trusted comment: made by minisign$' kiln verify "$T/notes.txt" --pubkey "$T/ms.pub"
minisign -S -l -s "$T/ms.key" -m "$T/notes.txt" -x "$T/legacy.minisig" >/dev/null 2>&1
check_output "kiln verify accepts a legacy (-l) signature" 'Trusted comment:' kiln verify "$T/notes.txt" --pubkey "$T/ms.pub" --sig "$T/legacy.minisig"
check_fails "kiln verify with another key" 'signed by a different key' kiln verify "$T/notes.txt" --pubkey "$S/operator.pub"
check_fails "kiln verify without a key is a usage error" 'Usage: kiln verify' kiln verify "$T/notes.txt"
printf 'untrusted comment: x\nnot base64\n' >"$T/bad.pub"
check_fails "malformed public key" 'bad.pub: malformed minisign file' kiln verify "$T/notes.txt" --pubkey "$T/bad.pub"
head -2 "$T/notes.txt.minisig" >"$T/short.minisig"
check_fails "truncated signature file" 'short.minisig: malformed minisign file' kiln verify "$T/notes.txt" --pubkey "$T/ms.pub" --sig "$T/short.minisig"
check_fails "missing file" 'nonexistent is missing' kiln verify "$T/nonexistent" --pubkey "$T/ms.pub" --sig "$T/notes.txt.minisig"

check_fails "verify with a missing public key file" 'cannot read public key' kiln verify "$T/notes.txt" --pubkey "$T/nope.pub"
check_fails "sign a missing file" 'nope.bin is missing' kiln sign "$T/nope.bin" --state "$S"
check "no signature for a missing file" test ! -e "$T/nope.bin.minisig"
check_fails "sign --version rejects negatives" "--version wants a number from 0 to 18446744073709551615, not '-1'" kiln sign "$T/notes.txt" --state "$S" --version -1
check_fails "sign with a state dir that has no keys" 'operator.key' kiln sign "$T/notes.txt" --state "$T/empty-state"

# Inputs are regular files, opened without blocking; the signature never replaces its file.
mkfifo "$T/fifo"
check_fails "sign a FIFO: refused at once" "$T/fifo is not a regular file" \
	timeout 10 "$KILN" sign "$T/fifo" --state "$S"
check_fails "verify a FIFO: refused at once" "$T/fifo is not a regular file" \
	timeout 10 "$KILN" verify "$T/fifo" --pubkey "$T/ms.pub" --sig "$T/notes.txt.minisig"
check_fails "verify with a FIFO as signature" "signature $T/fifo is not a regular file" \
	timeout 10 "$KILN" verify "$T/notes.txt" --state "$S" --sig "$T/fifo"
cp "$T/notes.txt" "$T/self.txt"
ln -s self.txt "$T/self.txt.minisig"
check_fails "sign refuses a FILE.minisig that is FILE itself" "self.txt.minisig is .*self.txt itself .*refusing" \
	kiln sign "$T/self.txt" --state "$S"
check "... FILE is intact" cmp -s "$T/notes.txt" "$T/self.txt"
rm "$T/self.txt.minisig"
ln "$T/self.txt" "$T/self.txt.minisig"
check_fails "... or a hard link to it" "refusing to replace the file with its signature" kiln sign "$T/self.txt" --state "$S"
rm "$T/self.txt.minisig"

printf 'x' >"$T/tab	version:99"
check_fails "sign refuses a file name with a tab" 'tab or control character' kiln sign "$T/tab	version:99" --state "$S"

# kiln's operator.key is usable by minisign itself
check "minisign -S uses kiln's operator.key" minisign -S -s "$S/operator.key" -m "$T/notes.txt" -x "$T/by-minisign.minisig"
check_output "... and kiln verifies that" 'Trusted comment: timestamp' kiln verify "$T/notes.txt" --state "$S" --sig "$T/by-minisign.minisig"

chmod 0644 "$S/operator.key"
check_fails "sign refuses a 0644 operator.key" 'operator.key is readable by group/others.*chmod 600' kiln sign "$T/notes.txt" --state "$S"
chmod 0600 "$S/operator.key"
chmod 0750 "$S"
check_fails "sign refuses an open state dir" 'chmod 700' kiln sign "$T/notes.txt" --state "$S"
chmod 0700 "$S"

check_no_secret_leaks "$S" "$T"/*.minisig
