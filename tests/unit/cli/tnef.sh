#!/bin/sh
# TNEF (winmail.dat) end to end: quail extract saves the files it carries
# under safe names, quail parse and parse --json list them; a broken TNEF
# part is saved as it is, never a crash. The TNEF bytes are built here
# after MS-OXTNEF 2.1.3. Usage: tnef.sh QUAIL. Prints TAP.
set -u
q=$1
case $q in /*) ;; *) q=$(pwd)/$q ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/quail-tnef.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
esc=$(printf '\033')

# mail.eml: a message with winmail.dat holding report.txt, a file named
# "../../.bashrc" and one whose name holds an escape sequence; cut.eml:
# the same TNEF cut short.
python3 - "$tmp" <<'PY' || exit 1
import base64, struct, sys
def attr(level, ident, data):
    return (struct.pack('<BII', level, ident, len(data)) + data +
            struct.pack('<H', sum(data) & 0xffff))
def tnef(files):
    b = struct.pack('<IH', 0x223E9F78, 0x1234)
    b += attr(1, 0x00089006, b'\0\0\1\0')
    for name, data in files:
        b += attr(2, 0x00069002, b'\1\0\xff\xff\xff\xff' + b'\0' * 8)
        b += attr(2, 0x00018010, name + b'\0')
        b += attr(2, 0x0006800F, data)
    return b
t = tnef([(b'report.txt', b'hello from tnef\n'), (b'../../.bashrc', b'evil'),
          (b'a\x1b[31mb.txt', b'esc')])
def mail(body):
    return (b'From: a@example.org\nSubject: tnef\nMIME-Version: 1.0\n'
            b'Content-Type: multipart/mixed; boundary=b\n\n--b\n'
            b'Content-Type: text/plain\n\nsee attached\n--b\n'
            b'Content-Type: application/ms-tnef; name=winmail.dat\n'
            b'Content-Disposition: attachment; filename=winmail.dat\n'
            b'Content-Transfer-Encoding: base64\n\n' +
            base64.encodebytes(body) + b'--b--\n')
open(sys.argv[1] + '/mail.eml', 'wb').write(mail(t))
open(sys.argv[1] + '/cut.eml', 'wb').write(mail(t[:40]))
PY

mkdir "$tmp/x"
timeout 20 "$q" extract -o "$tmp/x" "$tmp/mail.eml" >"$tmp/saved"; rc=$?
check "extract of a TNEF message exits 0" test "$rc" -eq 0
check "the carried file is saved whole" test "$(cat "$tmp/x/report.txt")" = "hello from tnef"
check "a ../ name loses its directories and dot" test "$(cat "$tmp/x/bashrc")" = "evil"
check "nothing is written outside the directory" test ! -e "$tmp/.bashrc"
check "an escape in a name becomes _" test -f "$tmp/x/a_[31mb.txt"
check "winmail.dat itself is not saved" test ! -e "$tmp/x/winmail.dat"
check "extract says where files came from" grep -q '^saved .*/report.txt (16 bytes, application/octet-stream, from winmail.dat)$' "$tmp/saved"
check "extract prints no raw escape" sh -c "! grep -q '$esc' '$tmp/saved'"

mkdir "$tmp/y"
timeout 20 "$q" extract -o "$tmp/y" "$tmp/cut.eml" >/dev/null 2>&1; rc=$?
check "a truncated TNEF part is saved as it is" test "$rc" -eq 0 -a -f "$tmp/y/winmail.dat"

timeout 20 "$q" parse "$tmp/mail.eml" >"$tmp/tree"; rc=$?
check "parse lists the TNEF files" test "$rc" -eq 0 -a "$(grep -c 'TNEF file' "$tmp/tree")" -eq 3
check "parse prints no raw escape" sh -c "! grep -q '$esc' '$tmp/tree'"

timeout 20 "$q" parse --json "$tmp/mail.eml" "$tmp/cut.eml" >"$tmp/json"; rc=$?
check "parse --json exits 0" test "$rc" -eq 0
python3 - "$tmp/json" <<'PY'
import hashlib, json, sys
lines = open(sys.argv[1], encoding='utf-8').read().splitlines()
assert len(lines) == 2, lines
tn = json.loads(lines[0])['body']['parts'][1]
assert tn['content_type'] == 'application/ms-tnef', tn
names = [p['filename'] for p in tn['parts']]
assert names == ['report.txt', '../../.bashrc', 'a\x1b[31mb.txt'], names
r = tn['parts'][0]
assert r['size'] == 16 and r['sha256'] == hashlib.sha256(b'hello from tnef\n').hexdigest(), r
assert 'size' in tn and 'sha256' in tn
cut = json.loads(lines[1])['body']['parts'][1]
assert 'parts' not in cut, cut
PY
check "parse --json lists the TNEF files as parts" test $? -eq 0
check "parse --json prints no raw escape" sh -c "! grep -q '$esc' '$tmp/json'"

echo "1..$n"
[ "$fails" -eq 0 ]
