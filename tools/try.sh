#!/usr/bin/env bash
# Builds quail into build/ and runs it.
# Installs missing Debian packages first (apt-get, as root or through sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps-debian.sh
if [ -f build/build.ninja ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
meson compile -C build >/dev/null
q=build/quail
run() {
	printf '\n$ quail %s\n' "$*"
	"$q" "$@"
}
run --version
run --help

# Local mail: the sample mbox as an index, one of its messages as a MIME
# tree and as JSON, and its attachments saved (names made safe).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The 4th message: mbox messages start at a "From " line after an empty one.
awk '/^From / && (NR == 1 || prev == "") { n++; prev = $0; next } { prev = $0 } n == 4' \
	samples/inbox.mbox >"$tmp/nightly.eml"
run scan samples/inbox.mbox
run parse "$tmp/nightly.eml"
run parse --json "$tmp/nightly.eml"
run parse --check samples/inbox.mbox
run extract -o "$tmp/files" samples/inbox.mbox

# The mail reader on the sample mail, when there is a terminal to show it
# in: a Maildir copy, so that reading and flagging rename files there.
if [ -t 0 ] && [ -t 1 ]; then
	mkdir -p "$tmp/Maildir/cur" "$tmp/Maildir/new" "$tmp/Maildir/tmp"
	awk -v dir="$tmp/Maildir/cur" '
		/^From / && (NR == 1 || prev == "") { n++; f = sprintf("%s/%d.try%d:2,S", dir, 1700000000 + n, n); prev = $0; next }
		{ prev = $0; print > f }' samples/inbox.mbox
	printf '\n$ quail -f %s   (q quits, ? lists the keys)\n' "$tmp/Maildir"
	sleep 1
	"$q" -f "$tmp/Maildir"
fi
