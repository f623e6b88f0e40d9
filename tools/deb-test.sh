#!/usr/bin/env bash
# Builds the Debian package in a copy of the tree (dpkg-buildpackage -us -uc
# -b), runs lintian on it (errors fail, warnings are listed), installs it with
# dpkg, checks that quail runs, that 'man quail' shows its page and that the
# completions are in place and work, then purges it and checks that nothing
# of it is left. Needs root (dpkg -i) and Debian 12 with the build
# dependencies (apt-get build-dep can be used: see debian/control).
# Usage: tools/deb-test.sh [--keep]   (--keep: leave the build copy)
# The last line is "deb-test: passed" or "deb-test: N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keep=${1:-}
[ "$(id -u)" -eq 0 ] || { echo "deb-test: needs root for dpkg -i"; exit 1; }
# Here-strings rather than pipes into grep -q, which under pipefail would
# fail a pipeline whose writer is still writing when grep has its match.
if grep -q "install ok installed" <<<"$(dpkg-query -W -f='${Status}' quail 2>/dev/null)"; then
	echo "deb-test: a quail package is installed already; not touching it"
	exit 1
fi
for t in dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null || { echo "deb-test: $t missing (apt-get install dpkg-dev debhelper lintian)"; exit 1; }
done

work=$(mktemp -d /tmp/quail-deb.XXXXXX)
installed=0
cleanup() {
	# Interrupted between install and purge: the machine is left as it was.
	if [ $installed = 1 ] &&
		grep -q "install ok installed" <<<"$(dpkg-query -W -f='${Status}' quail 2>/dev/null)"; then
		dpkg --purge quail >/dev/null 2>&1 || echo "deb-test: could not purge quail"
	fi
	[ "$keep" = --keep ] && { echo "build copy kept in $work"; return; }
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
failed=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }

# The tree as git sees it (tracked and new files, not ignored ones such as
# build directories), so the copy builds what a checkout would.
mkdir "$work/quail"
(cd "$root" && git ls-files -z -c -o --exclude-standard |
	tar --null -T - -cf -) | tar -xf - -C "$work/quail" || { echo "deb-test: copy failed"; exit 1; }

start=$(date +%s)
# tools/test.sh has run the unit suite already: the package build skips
# it unless DEB_BUILD_OPTIONS says otherwise (set it to "" to run it).
if (cd "$work/quail" && DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS-nocheck} dpkg-buildpackage -us -uc -b) \
	>"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($(($(date +%s) - start)) s)"
else
	tail -40 "$work/build.log"
	bad "dpkg-buildpackage (log: $work/build.log)"
	keep=--keep
	echo "deb-test: $failed failed"
	exit 1
fi
deb=$(ls "$work"/quail_*.deb | head -1)
ok "built $(basename "$deb")"

# lintian: errors fail the test, every other tag is listed.
lintian --no-tag-display-limit -i "$work"/quail_*.changes >"$work/lintian.log" 2>&1
echo "lintian tags:"
grep -E '^[EWIPX]: ' "$work/lintian.log" | sort -u | sed 's/^/  /'
if grep -q '^E: ' "$work/lintian.log"; then
	bad "lintian reports errors"
else
	ok "lintian: no errors"
fi

echo "package contents:"
dpkg-deb -c "$deb" | awk '{print "  " $6 ($7 ? " " $7 " " $8 : "")}'

installed=1
if dpkg -i "$deb" >"$work/install.log" 2>&1; then
	ok "dpkg -i"
else
	cat "$work/install.log"
	bad "dpkg -i"
fi
if v=$(quail --version 2>&1) && grep -q '^quail 0\.1\.0$' <<<"$(head -1 <<<"$v")"; then
	ok "quail --version: $(head -1 <<<"$v")"
else
	bad "quail --version: $v"
fi
[ "$(command -v quail)" = /usr/bin/quail ] && ok "/usr/bin/quail" || bad "quail is $(command -v quail)"
if page=$(man -w quail 2>&1) && [ "$page" = /usr/share/man/man1/quail.1.gz ]; then
	ok "man -w quail: $page"
else
	bad "man -w quail: $page"
fi
if grep -q 'quail - a mail client for the terminal' <<<"$(MANWIDTH=80 man quail 2>/dev/null)"; then
	ok "man quail shows the page"
else
	bad "man quail does not show the page"
fi
for p in quail-send.1 quail-fetch.1 quail-config.5 quail-ui.1 quail-setup.1; do
	[ -f "/usr/share/man/man${p##*.}/$p.gz" ] || bad "no man page $p"
done
bc=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null || echo /usr/share/bash-completion/completions)
[ -f "$bc/quail" ] && ok "bash completion $bc/quail" || bad "no bash completion in $bc"
[ -f /usr/share/zsh/vendor-completions/_quail ] && ok "zsh completion" || bad "no zsh completion"
# The installed bash completion completes.
got=$(bash -c "source '$bc/quail'; COMP_WORDS=(quail fe); COMP_CWORD=1; _quail; echo \"\${COMPREPLY[*]}\"")
[ "$got" = fetch ] && ok "bash completes 'quail fe' to fetch" || bad "bash completion gave '$got'"
# The installed quail has setup (SPEC §11).
/usr/bin/quail setup --help >/dev/null 2>&1 && ok "quail setup --help" || bad "quail setup --help failed"
[ ! -e /usr/sbin/sendmail ] || [ "$(readlink -f /usr/sbin/sendmail)" != /usr/bin/quail ] &&
	ok "no sendmail link (an MTA's job)" || bad "the package installs a sendmail link"

# The installed quail gets a user to their mail: setup against the test
# servers (Dovecot, Postfix on 127.0.0.1), then send, fetch and scan with
# the file it wrote, and the UI shows it. The integration script skips (77)
# without them.
QUAIL=/usr/bin/quail FAKESERVER="" "$root/tests/integration/setup-firstrun.sh" \
	>"$work/firstrun.log" 2>&1 </dev/null
rc=$?
sed 's/^/  /' "$work/firstrun.log" | grep -E '^  (not )?ok |SKIP|Bail'
case $rc in
0) ok "installed quail: setup, send, fetch, scan, UI (tests/integration/setup-firstrun.sh)" ;;
77) echo "skipped: installed quail first run (no Dovecot or Postfix, or not root)" ;;
*) bad "installed quail first run (log: $work/firstrun.log)"; keep=--keep ;;
esac

if dpkg --purge quail >"$work/purge.log" 2>&1; then
	ok "dpkg --purge quail"
else
	cat "$work/purge.log"
	bad "dpkg --purge quail"
fi
grep -q installed <<<"$(dpkg-query -W -f='${Status}' quail 2>/dev/null)" && bad "still installed after purge"
left=""
for f in /usr/bin/quail /usr/share/man/man1/quail.1.gz "$bc/quail" /usr/share/zsh/vendor-completions/_quail /usr/share/doc/quail; do
	[ -e "$f" ] && left="$left $f"
done
[ -z "$left" ] && ok "nothing left after purge" || bad "left after purge:$left"
echo "deb-test: took $(($(date +%s) - start)) s"
if [ $failed -eq 0 ]; then
	echo "deb-test: passed"
else
	echo "deb-test: $failed failed"
	exit 1
fi
