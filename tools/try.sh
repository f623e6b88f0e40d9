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
