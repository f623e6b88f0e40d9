#!/bin/sh
# The zsh completion parses (zsh -n), and with QUAIL given, every option each
# command's --help shows is named in it. Skipped (77) without zsh.
# Usage: test-zsh.sh COMPLETION-FILE [QUAIL]
comp=$1
quail=${2:-}
command -v zsh >/dev/null 2>&1 || { echo "zsh missing: skipped"; exit 77; }
fail=0
zsh -n "$comp" || { echo "FAIL: zsh -n $comp"; fail=1; }
# Sourced after compinit, the file defines its functions. -D: compinit
# writes no dump file (a dump file it is told to write is replaced by rename).
zsh -fc "autoload -Uz compinit; compinit -u -D; source '$comp' 2>/dev/null; whence -w _quail _quail_accounts _quail_folders" |
	grep -c function | grep -qx 3 || { echo "FAIL: $comp does not define its functions"; fail=1; }
if [ -n "$quail" ]; then
	for c in $("$quail" --help | sed -n '/^Commands:/,/^$/p' |
		sed -nE 's/^  ([a-z][a-z0-9-]*) {2,}.*/\1/p' | grep -vx help); do
		for o in $("$quail" "$c" --help | grep -E '^(Usage:|[[:space:]])' | grep -oE '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9-]*' |
			sed -E 's/^[^-]+//' | sort -u); do
			# As written in an _arguments spec: 'opt[', {a,opt}, or (a opt).
			if ! grep -qE -- "(['{ ,(*])$o([[,}' )])" "$comp"; then
				echo "FAIL: $c --help shows $o, $comp does not offer it"
				fail=1
			fi
		done
	done
fi
[ $fail -eq 0 ] && echo "zsh completion ok"
exit $fail
