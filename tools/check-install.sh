#!/bin/sh
# meson install into a temporary DESTDIR holds exactly the files expected,
# the binary runs from there, and every man page is a non-empty roff page.
# Usage: check-install.sh MESON BUILDDIR PREFIX PATH...
# (each PATH relative to PREFIX, or absolute)
set -u
meson=$1 build=$2 prefix=$3
shift 3
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
if ! "$meson" install -C "$build" --no-rebuild --quiet --destdir "$dest" >"$dest.log" 2>&1; then
	cat "$dest.log"
	rm -f "$dest.log"
	echo "FAIL: meson install exited non-zero"
	exit 1
fi
rm -f "$dest.log"
fail=0
want=$(mktemp)
for p in "$@"; do
	case $p in
	/*) f=$dest$p ;;
	*) f=$dest$prefix/$p ;;
	esac
	echo "${f#"$dest"}" >>"$want"
	if [ ! -e "$f" ] && [ ! -L "$f" ]; then
		echo "FAIL: not installed: ${f#"$dest"}"
		fail=1
	fi
	case $f in
	*/man[1-9]/*)
		head -c 200 "$f" | grep -q '^\.TH ' || { echo "FAIL: not a man page: $f"; fail=1; } ;;
	esac
done
# Nothing installed that was not expected.
(cd "$dest" && find . ! -type d | sed 's|^\.||') | sort >"$want.got"
sort -o "$want" "$want"
extra=$(comm -13 "$want" "$want.got")
if [ -n "$extra" ]; then
	echo "FAIL: installed but not expected:"
	echo "$extra"
	fail=1
fi
bin=$(grep -m1 '/bin/quail$' "$want")
if [ -n "$bin" ] && ! "$dest$bin" --version | grep -q '^quail '; then
	echo "FAIL: the installed quail does not run"
	fail=1
fi
sendmail=$(grep -m1 '/sendmail$' "$want")
if [ -n "$sendmail" ]; then
	link=$(readlink "$dest$sendmail")
	case $link in
	/*) target=$dest$link ;;
	*) target=$(dirname "$dest$sendmail")/$link ;;
	esac
	[ -x "$target" ] || { echo "FAIL: $sendmail points at $link, not at quail"; fail=1; }
fi
echo "installed:"
cat "$want.got"
rm -f "$want" "$want.got"
exit $fail
