#!/bin/bash
# Times quail index / quail search against notmuch and mu on one corpus:
# a full index (wall time and peak RSS from /usr/bin/time -v), the database
# size, a run where nothing changed, and a one-word search; then prints
# quail's ratios. Each tool gets its own temporary database (notmuch its own
# config with database.path outside the mail, mu its own --muhome), so the
# corpus is only read.
#
# Usage: tools/bench-index.sh MAILDIR [WORD]
#   QUAIL=path/to/quail (default build/quail); KEEP=1 keeps the databases.
set -eu
maildir=$(cd "${1:?usage: bench-index.sh MAILDIR [WORD]}" && pwd)
word=${2:-report}
quail=${QUAIL:-build/quail}
[ -x "$quail" ] || { echo "no quail binary at $quail (set QUAIL)" >&2; exit 1; }
quail=$(cd "$(dirname "$quail")" && pwd)/$(basename "$quail")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-index.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT
nmsg=$(find "$maildir" -path '*/cur/*' -o -path '*/new/*' -type f | wc -l)
echo "corpus: $maildir ($nmsg files, $(du -sh "$maildir" | cut -f1))"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# run NAME CMD...: runs CMD under /usr/bin/time -v; sets SECS (wall, from the
# shell's clock) and RSS_KB (peak resident set).
run() {
	local name=$1 t0 t1
	shift
	t0=$EPOCHREALTIME
	/usr/bin/time -v -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" ||
		{ echo "$name failed:" >&2; tail -5 "$tmp/$name.err" >&2; return 1; }
	t1=$EPOCHREALTIME
	SECS=$(echo "$t1 - $t0" | bc -l)
	RSS_KB=$(awk -F': ' '/Maximum resident/ {print $2}' "$tmp/$name.time")
}

declare -A full rss size nochange search hits

# quail
export XDG_CACHE_HOME=$tmp/quail-cache
export QUAIL_CONFIG=$tmp/quail.conf
: >"$QUAIL_CONFIG"
run quail-index "$quail" index "$maildir"
full[quail]=$SECS rss[quail]=$RSS_KB
run quail-nochange "$quail" index "$maildir"
nochange[quail]=$SECS
size[quail]=$(du -sb "$XDG_CACHE_HOME/quail" | cut -f1)
run quail-search "$quail" search -f "$maildir" "$word"
search[quail]=$SECS hits[quail]=$(wc -l <"$tmp/quail-search.out")

# notmuch
if command -v notmuch >/dev/null; then
	export NOTMUCH_CONFIG=$tmp/notmuch.conf
	mkdir -p "$tmp/notmuch-db"
	cat >"$NOTMUCH_CONFIG" <<EOC
[database]
path=$tmp/notmuch-db
mail_root=$maildir
[new]
tags=unread;inbox;
[search]
exclude_tags=
[maildir]
synchronize_flags=true
EOC
	run notmuch-index notmuch new --quiet
	full[notmuch]=$SECS rss[notmuch]=$RSS_KB
	run notmuch-nochange notmuch new --quiet
	nochange[notmuch]=$SECS
	size[notmuch]=$(du -sb "$tmp/notmuch-db" | cut -f1)
	run notmuch-search notmuch search "$word"
	search[notmuch]=$SECS hits[notmuch]=$(wc -l <"$tmp/notmuch-search.out")
fi

# mu
if command -v mu >/dev/null; then
	mu init --muhome="$tmp/mu" --maildir="$maildir" >/dev/null
	run mu-index mu index --muhome="$tmp/mu" --quiet
	full[mu]=$SECS rss[mu]=$RSS_KB
	run mu-nochange mu index --muhome="$tmp/mu" --quiet
	nochange[mu]=$SECS
	size[mu]=$(du -sb "$tmp/mu" | cut -f1)
	run mu-search mu find --muhome="$tmp/mu" "$word" || true
	search[mu]=$SECS hits[mu]=$(wc -l <"$tmp/mu-search.out")
fi

echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %10s %10s %12s %10s %10s %8s\n' tool "index s" "peak MB" "db MB" "nochange s" \
	"search s" hits
for t in quail notmuch mu; do
	[ -n "${full[$t]:-}" ] || continue
	printf '%-8s %10.2f %10.1f %12.1f %10.3f %10.3f %8s\n' "$t" "${full[$t]}" \
		"$(echo "${rss[$t]} / 1024" | bc -l)" "$(echo "${size[$t]} / 1048576" | bc -l)" \
		"${nochange[$t]}" "${search[$t]}" "${hits[$t]}"
done
for t in notmuch mu; do
	[ -n "${full[$t]:-}" ] || continue
	printf 'quail vs %s: index %.1fx faster, database %.2fx the size, no-change %.1fx faster, search %.1fx faster\n' \
		"$t" "$(echo "${full[$t]} / ${full[quail]}" | bc -l)" \
		"$(echo "${size[quail]} / ${size[$t]}" | bc -l)" \
		"$(echo "${nochange[$t]} / (${nochange[quail]} + 0.001)" | bc -l)" \
		"$(echo "${search[$t]} / (${search[quail]} + 0.001)" | bc -l)"
done
