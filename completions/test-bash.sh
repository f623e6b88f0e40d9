#!/usr/bin/env bash
# Drives completions/quail.bash the way bash does (COMP_WORDS, COMP_CWORD,
# then the completion function) against an account file and Maildir tree
# made here, and checks COMPREPLY. With QUAIL given, also checks that every
# option each command's --help shows is offered after "quail COMMAND -".
# Usage: test-bash.sh COMPLETION-FILE [QUAIL]
set -uo pipefail
comp=$(realpath "$1")
quail=${2:+$(realpath "$2")}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config
unset QUAIL_CONFIG
mkdir -p "$XDG_CONFIG_HOME/quail"
cat >"$XDG_CONFIG_HOME/quail/config" <<'CFG'
[general]
default_account = work
maildir = ~/Mail   ; the root

[account work]
from = Alice <alice@example.com>

[Account  163 ]
from = a@163.com
maildir = ~/mail-163

# [account commented]
CFG
for d in Mail/work/INBOX Mail/work/Sent Mail/work/Archive/2025 Mail/work/.quail/x \
	Mail/work/.outbox mail-163/INBOX mail-163/草稿; do
	mkdir -p "$HOME/$d/cur" "$HOME/$d/new" "$HOME/$d/tmp"
done
mkdir -p "$HOME/Mail/work/notafolder"
# shellcheck source=/dev/null
source "$comp"

fail=0
n=0
complete_line() { # "WORDS": completes the last word ("" after a space)
	read -r -a COMP_WORDS <<<"$1"
	[[ $1 == *' ' ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$1
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_quail
}
expect() { # "WORDS" EXPECTED...: COMPREPLY sorted must equal EXPECTED
	local words=$1
	shift
	n=$((n + 1))
	complete_line "$words"
	local got want
	got=$(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | LC_ALL=C sort | tr '\n' ' ')
	if [ "$got" != "$want" ]; then
		echo "FAIL: '$words': got [$got] want [$want]"
		fail=1
	fi
}
has() { # "WORDS" WORD...: COMPREPLY must hold every WORD
	local words=$1 w
	shift
	n=$((n + 1))
	complete_line "$words"
	for w in "$@"; do
		# A here-string, not a pipe: under pipefail grep -q leaving early
		# would fail the pipeline.
		if ! grep -qxF -- "$w" <<<"$(printf '%s\n' "${COMPREPLY[@]}")"; then
			echo "FAIL: '$words': $w not offered (got: ${COMPREPLY[*]})"
			fail=1
		fi
	done
}

has "quail " send fetch sync list index search addr ui parse scan extract serverinfo setup queue verify help
expect "quail se" send search serverinfo setup
expect "quail setup --y" --yes
expect "quail fetch --account " work 163
expect "quail fetch --account 1" 163
expect "quail list --account w" work
expect "quail fetch --folder " INBOX Sent Archive/2025
expect "quail fetch --account 163 --folder " INBOX 草稿
expect "quail sync --folder A" Archive/2025
expect "quail ui -f =S" =Sent
expect "quail queue " list flush drop
expect "quail queue drop " 
expect "quail serverinfo --protocol " smtp imap pop3
expect "quail search --sort r" relevance
expect "quail addr --j" --json
expect "quail addr --account w" work
expect "quail send --dsn-ret " hdrs full
expect "quail fetch --q" --quiet
expect "quail send -s " 
expect "quail help f" fetch
expect "quail --v" --version
# A config named on the line wins over the XDG one.
cat >"$tmp/other.conf" <<'CFG'
[account other]
from = o@example.org
CFG
expect "quail list --config $tmp/other.conf --account " other
# QUAIL_CONFIG wins over XDG_CONFIG_HOME.
QUAIL_CONFIG=$tmp/other.conf expect "quail list --account " other
# With one account and no default_account, --folder uses that account.
mkdir -p "$tmp/home/Mail/other/Lists/x/cur"
QUAIL_CONFIG=$tmp/other.conf expect "quail fetch --folder " Lists/x
# Files for -a and --html, in the current directory.
mkdir -p "$tmp/files" && touch "$tmp/files/report.pdf" "$tmp/files/page.html"
cd "$tmp/files" || exit 1
expect "quail send -a rep" report.pdf
expect "quail send --html pa" page.html
mkdir -p "$tmp/files/box/cur"
expect "quail ui -f b" box
expect "quail search -f " =INBOX =Sent =Archive/2025 box page.html report.pdf
# A file named "$(...)" after --config is a name, never run.
n=$((n + 1))
# shellcheck disable=SC2016
COMP_WORDS=(quail list --config '$(touch ran)' --account "")
COMP_CWORD=5
COMPREPLY=()
_quail
if [ -e ran ] || [ ${#COMPREPLY[@]} -ne 0 ]; then
	echo "FAIL: completion ran a command from the line (or offered: ${COMPREPLY[*]})"
	fail=1
fi

if [ -n "$quail" ]; then
	cmds=$("$quail" --help | sed -n '/^Commands:/,/^$/p' |
		sed -nE 's/^  ([a-z][a-z0-9-]*) {2,}.*/\1/p' | grep -vx help)
	for c in $cmds; do
		opts=$("$quail" "$c" --help | grep -E '^(Usage:|[[:space:]])' | grep -oE '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9-]*' |
			sed -E 's/^[^-]+//' | sort -u)
		# shellcheck disable=SC2086
		has "quail $c -" $opts
	done
fi
echo "$n completions checked"
exit $fail
