#!/bin/sh
# Every built man page renders without a single groff or man warning.
# Usage: check-render.sh PAGE...   (exit 77, skipped, without man and groff)
command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1 || {
	echo "man or groff missing: skipped"
	exit 77
}
fail=0
err=$(mktemp)
trap 'rm -f "$err"' EXIT
for page in "$@"; do
	if ! LC_ALL=C.UTF-8 MANWIDTH=80 MAN_KEEP_FORMATTING= man --warnings -l "$page" \
		>/dev/null 2>"$err"; then
		echo "FAIL: man -l $page exited non-zero"
		fail=1
	fi
	if [ -s "$err" ]; then
		echo "FAIL: $page:"
		cat "$err"
		fail=1
	fi
	# A page whose text came out empty is no page.
	lines=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | wc -l)
	if [ "$lines" -lt 10 ]; then
		echo "FAIL: $page renders to $lines lines"
		fail=1
	fi
	echo "rendered $page: $lines lines"
done
exit $fail
