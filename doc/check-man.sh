#!/usr/bin/env bash
# Keeps the man pages and the program from drifting apart: every command that
# 'quail --help' lists has a page, quail(1) names it, and every option a
# command's --help shows (its usage lines, its option list, the common
# options) is written in bold in that command's page. The sendmail mode's
# help is held against quail-send(1) the same way.
# Usage: check-man.sh QUAIL DOCDIR
set -uo pipefail
quail=$1
doc=$2
fail=0

# Option words of a help text: -x, --long-name (not "non-ASCII", "part-N"),
# from its usage lines and its indented option lists only: a description
# may quote output such as "+N -D ~U".
help_options() {
	grep -E '^(Usage:|[[:space:]])' | grep -oE '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[^-]+//' | sort -u
}

# Option words written in bold in a page: *-s*, *--html*, *-bp*.
page_options() {
	grep -oE '\*--?[A-Za-z][A-Za-z0-9-]*\*' "$1" | tr -d '*' | sort -u
}

check_page() { # CMD PAGE HELP-TEXT
	local cmd=$1 page=$2 text=$3 opt n=0
	if [ ! -f "$page" ]; then
		echo "FAIL: '$cmd' has no man page ($page)"
		fail=1
		return
	fi
	local have
	have=$(page_options "$page")
	while read -r opt; do
		[ -n "$opt" ] || continue
		n=$((n + 1))
		if ! grep -qxF -- "$opt" <<<"$have"; then
			echo "FAIL: $cmd --help shows $opt, $(basename "$page") does not"
			fail=1
		fi
	done < <(help_options <<<"$text")
	if [ "$n" -eq 0 ]; then
		echo "FAIL: no options found in the help of $cmd"
		fail=1
	fi
	echo "checked $cmd: $n options against $(basename "$page")"
}

top=$("$quail" --help) || { echo "FAIL: quail --help exited $?"; exit 1; }
# The command list: two-space indent, name, two or more spaces, summary.
cmds=$(sed -n '/^Commands:/,/^$/p' <<<"$top" | sed -nE 's/^  ([a-z][a-z0-9-]*) {2,}.*/\1/p' | grep -vx help)
[ -n "$cmds" ] || { echo "FAIL: no commands in quail --help"; exit 1; }
check_page quail "$doc/quail.1.scd" "$top"
for c in $cmds; do
	if ! grep -qF "*$c*" "$doc/quail.1.scd"; then
		echo "FAIL: quail(1) does not list the command $c"
		fail=1
	fi
	text=$("$quail" "$c" --help) || { echo "FAIL: quail $c --help exited $?"; fail=1; continue; }
	check_page "$c" "$doc/quail-$c.1.scd" "$text"
done

# Run as sendmail, quail shows the sendmail mode's help.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ln -s "$(realpath "$quail")" "$tmp/sendmail"
text=$("$tmp/sendmail" --help) || { echo "FAIL: sendmail --help exited $?"; fail=1; }
check_page sendmail "$doc/quail-send.1.scd" "$text"
exit $fail
