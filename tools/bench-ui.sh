#!/bin/bash
# Times quail's curses UI against mutt (and neomutt) with the shared bench
# (bench/ui/uibench.py: each program in a 50x160 pty read by pyte, runs
# interleaved), then quail's first paint and complete open on a folder the
# index holds in full (tools/bench-ui-open.py: uibench empties quail's HOME
# at every invocation, so at 20,000 messages and more its warm opens find
# the index only partly built).
#
# Usage: tools/bench-ui.sh [SIZES [PROGRAMS]]
#   SIZES: uibench --sizes (default 2000,20000); PROGRAMS: default mutt,quail.
#   QUAIL=path/to/quail (default build/quail); UIBENCH=path/to/uibench.py
#   (default /work/shared/bench/ui/uibench.py); RUNS=N (default 3);
#   OPEN_MAILDIR=DIR also runs bench-ui-open.py on DIR (indexing it once
#   into OPEN_HOME, default /tmp/quail-bench-ui-open/home).
# Both print Markdown tables; the machine's load average is printed before
# and after, as the figures of a shared machine depend on it.
set -eu
sizes=${1:-2000,20000}
programs=${2:-mutt,quail}
quail=${QUAIL:-build/quail}
uibench=${UIBENCH:-/work/shared/bench/ui/uibench.py}
runs=${RUNS:-3}
[ -x "$quail" ] || { echo "no quail binary at $quail (set QUAIL)" >&2; exit 1; }
quail=$(cd "$(dirname "$quail")" && pwd)/$(basename "$quail")
here=$(cd "$(dirname "$0")" && pwd)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$uibench" --sizes "$sizes" --programs "$programs" --quail "$quail" -n "$runs" \
	--scenarios open-warm,end,pager,limit,open-threads,thread
if [ -n "${OPEN_MAILDIR:-}" ]; then
	/usr/bin/python3 "$here/bench-ui-open.py" -n "$runs" \
		--home "${OPEN_HOME:-/tmp/quail-bench-ui-open/home}" "$OPEN_MAILDIR" "$quail"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
