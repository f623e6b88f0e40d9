#!/bin/sh
# quail search against a brute-force scan of quail parse --json over the
# fixtures and samples (search-compare.py says how). Exits 77 (skip) when
# quail or python3 is missing.
[ -n "${QUAIL:-}" ] && [ -x "$QUAIL" ] || { echo "1..0 # SKIP QUAIL is not set"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is missing"; exit 77; }
timeout 10 "$QUAIL" search --help >/dev/null 2>&1 ||
	{ echo "1..0 # SKIP $QUAIL has no search command"; exit 77; }
dir=$(cd "$(dirname "$0")" && pwd)
# UTC, so that "N days ago" is the same count of seconds on both sides.
TZ=UTC exec timeout 240 python3 "$dir/search-compare.py" "$QUAIL" "$dir/../.."
