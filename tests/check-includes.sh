#!/bin/sh
# Fails when an #include goes the wrong way between quail's modules
# (STYLE.md: util <- net, mime, store, config <- index, smtp, pop3, imap <- app <- cli, ui <- main.c),
# or when anything below src/ui includes curses.
# Usage: check-includes.sh SRC_DIR
set -u
src=${1:-src}
[ -d "$src" ] || { echo "no such directory: $src"; exit 2; }

allowed() {
	case $1 in
	util) echo "util" ;;
	net | mime | store | config) echo "util $1" ;;
	index) echo "util mime store index" ;;
	smtp | pop3 | imap) echo "util net $1" ;;
	app) echo "util net mime store config index smtp pop3 imap app" ;;
	cli) echo "util net mime store config index smtp pop3 imap app cli" ;;
	ui) echo "util net mime store config index smtp pop3 imap app ui" ;;
	main) echo "util config app cli ui" ;;
	*) echo "" ;;
	esac
}

bad=0
checked=0
for f in $(find "$src" -name '*.[ch]' | sort); do
	rel=${f#"$src"/}
	case $rel in
	*/*) mod=${rel%%/*} ;;
	*) mod=main ;;
	esac
	ok=$(allowed "$mod")
	if [ -z "$ok" ]; then
		echo "FAIL $rel: unknown module folder '$mod'"
		bad=$((bad + 1))
		continue
	fi
	checked=$((checked + 1))
	# Quoted includes name "module/header.h".
	for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		case $inc in
		*/*) target=${inc%%/*} ;;
		*) target=$mod ;; # a header beside the file
		esac
		case " $ok " in
		*" $target "*) ;;
		*)
			echo "FAIL $rel: includes \"$inc\" ($mod may include only: $ok)"
			bad=$((bad + 1))
			;;
		esac
		# private.h belongs to its own folder.
		case $inc in
		*/private.h)
			if [ "$target" != "$mod" ]; then
				echo "FAIL $rel: includes another module's private header \"$inc\""
				bad=$((bad + 1))
			fi
			;;
		esac
	done
	if [ "$mod" != ui ] && grep -Eq '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(n?curses|ncursesw/|term\.h|panel\.h)' "$f"; then
		echo "FAIL $rel: only src/ui may include curses"
		bad=$((bad + 1))
	fi
done
echo "checked $checked files"
if [ "$bad" -ne 0 ]; then
	echo "1..1"
	echo "not ok 1 - include direction ($bad violations)"
	exit 1
fi
echo "1..1"
echo "ok 1 - include direction"
