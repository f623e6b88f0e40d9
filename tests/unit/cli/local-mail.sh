#!/bin/sh
# quail parse, scan and extract end to end (SPEC §6, §7): exit codes, the
# counts line, JSON Lines, hostile names and text made safe, no overwrite.
# Usage: local-mail.sh QUAIL SOURCE_ROOT. Prints TAP.
set -u
q=$1
root=$2
case $q in /*) ;; *) q=$(pwd)/$q ;; esac
fix=$root/tests/fixtures/mime
tmp=$(mktemp -d "${TMPDIR:-/tmp}/quail-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { # DESCRIPTION COMMAND...: the command must succeed
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
esc=$(printf '\033')

# ---- parse --check ----------------------------------------------------------
out=$("$q" parse --check "$root/samples/inbox.mbox"); rc=$?
check "parse --check exits 0" test "$rc" -eq 0
check "parse --check counts the sample mbox" \
	test "$out" = "messages: 7 parts: 12 bytes: 685 defects: 1"
out=$("$q" parse --check "$fix/multipart-missing-final-boundary.eml" \
	"$fix/header-escape-sequences-and-newline.eml")
check "parse --check adds files up" test "$out" = "messages: 2 parts: 4 bytes: 72 defects: 1"
out=$("$q" parse --check "$tmp/missing" "$fix/plain-text-us-ascii.eml" 2>"$tmp/err"); rc=$?
check "parse --check of a missing path exits 66" test "$rc" -eq 66
check "... and still counts the others" test "$out" = "messages: 1 parts: 1 bytes: 50 defects: 0"
check "... and names the path" grep -q "missing" "$tmp/err"
"$q" parse --check >/dev/null 2>&1
check "parse --check without a PATH is a usage error" test $? -eq 64
"$q" parse --bogus >/dev/null 2>&1
check "an unknown option is a usage error" test $? -eq 64

# A Maildir.
mkdir -p "$tmp/md/cur" "$tmp/md/new" "$tmp/md/tmp"
cp "$fix/plain-text-us-ascii.eml" "$tmp/md/cur/1000.1.host:2,S"
cp "$fix/multipart-alternative.eml" "$tmp/md/new/2000.2.host"
out=$("$q" parse --check "$tmp/md")
check "parse --check reads a Maildir" test "$out" = "messages: 2 parts: 3 bytes: 171 defects: 0"
# A FIFO in a Maildir is no message: skipped, never opened for reading
# (that would wait for a writer for ever).
mkfifo "$tmp/md/cur/1500.3.host:2,S" "$tmp/md/new/1600.4.host"
out=$(timeout 10 "$q" parse --check "$tmp/md"); rc=$?
check "parse --check skips a FIFO in a Maildir" \
	test "$rc" -eq 0 -a "$out" = "messages: 2 parts: 3 bytes: 171 defects: 0"
timeout 10 "$q" scan "$tmp/md" >"$tmp/scanf"; rc=$?
check "scan skips a FIFO in a Maildir" test "$rc" -eq 0 -a "$(wc -l <"$tmp/scanf")" -eq 2
rm "$tmp/md/cur/1500.3.host:2,S" "$tmp/md/new/1600.4.host"

# ---- parse, parse --json -----------------------------------------------------
"$q" parse --json "$root/samples/inbox.mbox" >"$tmp/json"
check "parse --json prints one line per message" test "$(wc -l <"$tmp/json")" -eq 7
check "parse --json output holds no raw escape" sh -c "! grep -q '$esc' '$tmp/json'"
if command -v python3 >/dev/null 2>&1; then
	check "every line is a JSON object with the keys in order" python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    assert list(o) == ["subject", "from", "to", "cc", "date", "message_id", "body"], list(o)
    assert list(o["body"])[:5] == ["content_type", "charset", "disposition", "filename", "content_id"]
' "$tmp/json"
fi
"$q" parse --json <"$fix/plain-text-us-ascii.eml" >"$tmp/stdin.json"
check "parse --json reads stdin" grep -q '"subject":"Lunch on Friday?"' "$tmp/stdin.json"
"$q" parse "$fix/header-escape-sequences-and-newline.eml" >"$tmp/view"
check "parse shows an encoded newline escaped, not as a new header line" \
	grep -q '^Subject: Invoice\\x0AX-Injected: yes' "$tmp/view"
check "parse shows no line starting with the injected header" sh -c "! grep -q '^X-Injected' '$tmp/view'"
check "parse shows escape sequences escaped" sh -c "grep -q 'Mallory \\\\e\\[2J' '$tmp/view' && ! grep -q '$esc' '$tmp/view'"
check "parse lists the parts, names made safe" grep -q '^  1.2 application/octet-stream; attachment; file "evil\\e\[31m.txt"; 8 bytes$' "$tmp/view"
"$q" parse "$tmp/missing" >/dev/null 2>&1
check "parse of a missing file exits 66" test $? -eq 66

# ---- scan -------------------------------------------------------------------
"$q" scan "$root/samples/inbox.mbox" >"$tmp/scan"; rc=$?
check "scan exits 0" test "$rc" -eq 0
check "scan prints a line per message" test "$(wc -l <"$tmp/scan")" -eq 7
check "scan line: number, date, sender, subject" \
	grep -q '^   1 2026-11-02 Alice Example        Lunch on Friday?$' "$tmp/scan"
check "scan decodes and pads CJK by display width" \
	grep -q '^   2 2026-11-03 持续集成             测试报告：第三季度$' "$tmp/scan"
check "scan escapes the hostile sender and subject" \
	grep -q '^   7 2026-11-08 Mallory \\e\[2J\\e\]0;pw Invoice\\x0AX-Injected: yes$' "$tmp/scan"
check "scan prints no raw escape" sh -c "! grep -q '$esc' '$tmp/scan'"
"$q" scan "$tmp/md" >"$tmp/scan2"
check "scan reads a Maildir in delivery order" sh -c "head -n 1 '$tmp/scan2' | grep -q 'Lunch on Friday' && tail -n 1 '$tmp/scan2' | grep -q 'Slides for the café meeting'"
# SPEC §6: a display name that looks like an address comes with the real
# address, first; a right-to-left override cannot hide what follows.
mkdir -p "$tmp/spoof/cur" "$tmp/spoof/new" "$tmp/spoof/tmp"
printf 'From: "service@paypal.example" <evil@attacker.example>\nDate: Mon, 2 Nov 2026 10:00:00 +0000\nSubject: =?utf-8?b?%s?=\n\nx\n' \
	"$(printf 'Invoice \342\200\256fdp.exe' | base64 -w0)" >"$tmp/spoof/new/1.1.host"
printf 'From: PayPal.com <evil@attacker.example>\nSubject: two\n\nx\n' >"$tmp/spoof/new/2.2.host"
printf 'From: Alice Example <alice@example.com>\nSubject: three\n\nx\n' >"$tmp/spoof/new/3.3.host"
"$q" scan "$tmp/spoof" >"$tmp/scan3"
check "scan: an address-like display name comes after the real address" \
	grep -q '^   1 2026-11-02 evil@attacker.exampl Invoice \\u202Efdp.exe$' "$tmp/scan3"
check "scan: a domain-like display name comes after the real address" \
	grep -q '^   2 ---------- evil@attacker.exampl two$' "$tmp/scan3"
check "scan: a plain display name is shown alone" \
	grep -q '^   3 ---------- Alice Example        three$' "$tmp/scan3"
"$q" scan "$tmp/missing" >/dev/null 2>&1
check "scan of a missing mailbox exits 66" test $? -eq 66
"$q" scan >/dev/null 2>&1
check "scan without a MAILBOX is a usage error" test $? -eq 64

# ---- extract ------------------------------------------------------------------
mkdir "$tmp/x"
(cd "$tmp/x" && "$q" extract "$root/samples/inbox.mbox" >"$tmp/saved" &&
	"$q" extract "$fix/header-escape-sequences-and-newline.eml" >>"$tmp/saved"); rc=$?
check "extract exits 0" test "$rc" -eq 0
check "extract strips directories and the leading dot" test -f "$tmp/x/bashrc"
check "nothing lands outside the directory" sh -c "! test -e '$tmp/.bashrc' && ! test -e '$root/.bashrc'"
check "no file name holds an escape" sh -c "! ls '$tmp/x' | grep -q '$esc'"
check "the escape became '_'" test -f "$tmp/x/evil_[31m.txt"
check "extract prints what it saved" grep -q '^saved bashrc (11 bytes, application/octet-stream)$' "$tmp/saved"
echo "precious" >"$tmp/x/report.pdf"
"$q" extract -o "$tmp/x" "$fix/mixed-related-alternative-full.eml" >/dev/null
check "extract never overwrites" grep -q precious "$tmp/x/report.pdf"
check "a taken name gets (1)" test -f "$tmp/x/report (1).pdf"
"$q" extract -o "$tmp/x" "$fix/mixed-related-alternative-full.eml" >/dev/null
check "and then (2)" test -f "$tmp/x/report (2).pdf"
"$q" extract -o "$tmp/x" "$root/samples/inbox.mbox" >/dev/null
check "again: bashrc (1)" test -f "$tmp/x/bashrc (1)"
"$q" extract -o "$tmp/uu" "$fix/uuencode-in-text-plain.eml" >/dev/null
check "a uuencoded file inside text is saved" sh -c "test \"\$(cat '$tmp/uu/hello.txt')\" = 'hello, world!'"
"$q" extract -o "$tmp/cn" "$fix/attachment-chinese-name-rfc2231-continuations.eml" >/dev/null
check "a Chinese file name is decoded" test -f "$tmp/cn/测试结果报告(第三季度)附件-最终版本.csv"
"$q" extract -o "$tmp/x" "$tmp/missing" >/dev/null 2>&1
check "extract of a missing file exits 66" test $? -eq 66

echo "1..$n"
[ "$fails" -eq 0 ]
