#!/bin/sh
# Start-up cost: commands that need no OAuth 2, HTML, charset detection,
# file types, SASL or TNEF never map libcurl, json-c, libxml2, uchardet,
# libmagic, libgsasl or libytnef, and those that open no connection and
# write no mail never map GnuTLS or libidn2 (they are opened on first use,
# src/util/dl.c), so a change that links them again fails here. The
# dynamic loader's own trace (LD_DEBUG=files) tells what was mapped.
# Usage: startup.sh QUAIL. Prints TAP.
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
# --version reports the GnuTLS it runs with: opened for that.
check "quail --version names GnuTLS" grep -q '^GnuTLS [0-9]' "$tmp/out"
check "quail --version maps GnuTLS" grep -q 'file=libgnutls' "$tmp/trace"

LD_DEBUG=files "$q" --help >"$tmp/out" 2>"$tmp/trace"
check "quail --help exits 0" test $? -eq 0
check "quail --help does not map GnuTLS" sh -c '! grep -q "file=libgnutls" "$1"' sh "$tmp/trace"
check "quail --help does not map libidn2" sh -c '! grep -q "file=libidn2" "$1"' sh "$tmp/trace"

# An index run over a Maildir: no connection, so no TLS.
mkdir -p "$tmp/md/cur" "$tmp/md/new" "$tmp/md/tmp"
printf 'From: a@example.org\nSubject: s\n\nbody\n' >"$tmp/md/cur/1.1.x:2,S"
XDG_CACHE_HOME="$tmp/cache" LD_DEBUG=files "$q" index -- "$tmp/md" >"$tmp/out" 2>"$tmp/trace"
check "quail index exits 0" test $? -eq 0
check "quail index indexed the message" grep -q '^indexed 1 messages' "$tmp/out"
check "quail index does not map GnuTLS" sh -c '! grep -q "file=libgnutls" "$1"' sh "$tmp/trace"
check "quail index does not map libidn2" sh -c '! grep -q "file=libidn2" "$1"' sh "$tmp/trace"
check "the binary does not link GnuTLS" sh -c '! ldd "$1" | grep -q libgnutls' sh "$q"

echo "1..$n"
exit $((fails > 0))
