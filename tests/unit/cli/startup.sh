#!/bin/sh
# Start-up cost: commands that need no OAuth 2, HTML, charset detection,
# file types, SASL or TNEF never map libcurl, json-c, libxml2, uchardet,
# libmagic, libgsasl or libytnef (they are opened on first use,
# src/util/dl.c), so a change that links them again fails here. The dynamic loader's own trace (LD_DEBUG=files)
# tells what was mapped. Usage: startup.sh QUAIL. Prints TAP.
set -u
q=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/quail-startup.XXXXXX") || exit 1
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

LD_DEBUG=files "$q" --version >"$tmp/out" 2>"$tmp/trace"
check "quail --version exits 0" test $? -eq 0
check "quail --version prints its version" grep -q '[0-9]\.[0-9]' "$tmp/out"
# The trace must work at all, or the checks below would pass on nothing.
check "the loader trace lists libc" grep -q 'file=libc\.so' "$tmp/trace"
check "quail --version does not map libcurl" sh -c '! grep -q "file=libcurl" "$1"' sh "$tmp/trace"
check "quail --version does not map json-c" sh -c '! grep -q "file=libjson-c" "$1"' sh "$tmp/trace"
check "quail --version does not map libxml2" sh -c '! grep -q "file=libxml2" "$1"' sh "$tmp/trace"
check "quail --version does not map uchardet" sh -c '! grep -q "file=libuchardet" "$1"' sh "$tmp/trace"
check "quail --version does not map libmagic" sh -c '! grep -q "file=libmagic" "$1"' sh "$tmp/trace"
check "quail --version does not map libgsasl" sh -c '! grep -q "file=libgsasl" "$1"' sh "$tmp/trace"
check "quail --version does not map libytnef" sh -c '! grep -q "file=libytnef" "$1"' sh "$tmp/trace"
check "the binary does not link libcurl" sh -c '! ldd "$1" | grep -q libcurl' sh "$q"

echo "1..$n"
exit $((fails > 0))
