#!/bin/sh
# Runs one libFuzzer target for a bounded time over its seed corpus, writing
# what it finds into a scratch directory (the repository's corpus stays as
# it is). Prints one TAP line. Usage: run-fuzzer.sh FUZZER CORPUS SECONDS
set -u
fuzzer=$1 corpus=$2 secs=$3
name=$(basename "$fuzzer")
work=$(mktemp -d "${TMPDIR:-/tmp}/quail-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
echo "1..1"
"$fuzzer" "$work" "$corpus" -max_total_time="$secs" -max_len=4096 -timeout=10 \
	-rss_limit_mb=2048 -artifact_prefix="$work/" >"$work/log" 2>&1
rc=$?
runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/log" | tail -n 1)
if [ "$rc" -eq 0 ]; then
	echo "ok 1 - $name: ${runs:-?} runs in ${secs} s, no crash, leak or sanitizer report"
	exit 0
fi
tail -n 40 "$work/log"
for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
	[ -f "$a" ] && { echo "# reproducer (base64):"; base64 "$a" | sed 's/^/# /'; }
done
echo "not ok 1 - $name: exit $rc"
exit 1
