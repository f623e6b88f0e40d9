#!/bin/sh
# Start-up cost of quail binaries, compared in one run so a busy machine
# weighs on each alike (needs perf): for each binary the shared objects mapped, the
# dynamic loader's relocation count (LD_DEBUG=statistics) and the median
# wall and CPU time of N runs of the command, the binaries interleaved.
#
#   tools/startup-bench.sh [-n N] BINARY... -- ARGS...
#   tools/startup-bench.sh -n 50 /tmp/quail-old build/quail -- --version
set -eu
n=30
if [ "${1-}" = -n ]; then
	n=$2
	shift 2
fi
bins=
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	bins="$bins $1"
	shift
done
[ "${1-}" = -- ] && shift
[ -n "$bins" ] || { echo "usage: $0 [-n N] BINARY... -- ARGS..." >&2; exit 64; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
while [ "$i" -lt "$n" ]; do
	k=0
	for b in $bins; do
		k=$((k + 1))
		# perf stat: CPU ms (task-clock) and wall ns of one run.
		perf stat -x, -o "$tmp/t" -e task-clock,duration_time "$b" "$@" >/dev/null 2>&1 || true
		awk -F, '/task-clock/ { c = $1 } /duration_time/ { w = $1 / 1e6 }
			END { printf "%.3f %.3f\n", w, c }' "$tmp/t" >>"$tmp/$k"
	done
	i=$((i + 1))
done
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
printf '%-40s %5s %8s %10s %10s\n' binary libs relocs wall_ms cpu_ms
k=0
for b in $bins; do
	k=$((k + 1))
	libs=$(LD_DEBUG=files "$b" "$@" 2>&1 >/dev/null | grep -c 'calling init:' || true)
	relocs=$(LD_DEBUG=statistics "$b" "$@" 2>&1 >/dev/null |
		awk '/final number of relocations:/ { print $NF; exit }')
	wall=$(cut -d' ' -f1 "$tmp/$k" | median)
	cpu=$(cut -d' ' -f2 "$tmp/$k" | median)
	printf '%-40s %5s %8s %10.1f %10.1f\n' "$b" "$libs" "$relocs" \
		"$wall" "$cpu"
done
