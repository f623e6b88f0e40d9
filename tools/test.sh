#!/usr/bin/env bash
# Builds quail and runs every test: unit and protocol tests, integration tests
# against real Dovecot and Postfix on 127.0.0.1 (they need root for Postfix and
# skip what they cannot run), then the unit tests again under AddressSanitizer
# and UndefinedBehaviorSanitizer, and each fuzz target briefly. Installs missing
# Debian packages first.
# The last line is "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
tools/deps-debian.sh || exit 1

setup() { # DIR ARGS...: configure DIR afresh when its options changed
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1
	else
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1
	fi || { cat "$dir.setup.log"; exit 1; }
}

rc=0
setup build-test -Dwerror=true -Dintegration=true
meson compile -C build-test || exit 1
meson test -C build-test --print-errorlogs --num-processes 2 || rc=1

setup build-asan -Dwerror=true -Dintegration=false -Db_sanitize=address,undefined -Db_lundef=false
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
meson compile -C build-asan || exit 1
meson test -C build-asan --suite unit --print-errorlogs --num-processes 2 || rc=1

# Each libFuzzer target, briefly, with ASan and UBSan (clang).
dirs="build-test build-asan"
if command -v clang >/dev/null; then
	CC=clang setup build-fuzz -Dfuzz=true -Dfuzz_seconds="${FUZZ_SECONDS:-10}" -Dintegration=false
	meson compile -C build-fuzz || exit 1
	meson test -C build-fuzz --suite fuzz-run --print-errorlogs --num-processes 2 || rc=1
	dirs="$dirs build-fuzz"
fi

# The Debian package: built, checked by lintian, installed, tried and purged
# (tools/deb-test.sh). It needs root and dpkg, and leaves an installed quail
# package alone; otherwise it is counted as skipped. One test in the summary.
deb_log=build-test/deb-test.log
if [ "$(id -u)" -ne 0 ] || ! command -v dpkg-buildpackage >/dev/null; then
	echo "deb-test: skipped (needs root and dpkg-buildpackage)" >"$deb_log"
elif grep -q "install ok installed" <<<"$(dpkg-query -W -f='${Status}' quail 2>/dev/null)"; then
	echo "deb-test: skipped (a quail package is installed)" >"$deb_log"
else
	tools/deb-test.sh >"$deb_log" 2>&1 || rc=1
fi
tail -n 1 "$deb_log"

# shellcheck disable=SC2086
python3 tools/test-summary.py --deb "$deb_log" $dirs || rc=1
exit $rc
