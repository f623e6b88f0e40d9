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
#
# tools/bench-index.sh nochange QUAIL_MAILDIR NOTMUCH_MAILDIR [RUNS]
#   Repeated runs where nothing changed (SPEC §9), in one session: quail
#   index on QUAIL_MAILDIR against notmuch new on NOTMUCH_MAILDIR (and
#   quail --version, the start-up alone), RUNS times each (default 30),
#   interleaved. Prints the median and minimum wall time and, with perf,
#   the mean CPU time (task-clock), steadier on a loaded machine.
#   QUAIL_CACHE=DIR / NOTMUCH_DB=DIR: copy an existing quail cache
#   ($XDG_CACHE_HOME) / notmuch database instead of indexing first.
set -eu
if [ "${1:-}" = nochange ]; then
	shift
	qdir=$(cd "${1:?usage: bench-index.sh nochange QUAIL_MAILDIR NOTMUCH_MAILDIR [RUNS]}" && pwd)
	ndir=$(cd "${2:?usage: bench-index.sh nochange QUAIL_MAILDIR NOTMUCH_MAILDIR [RUNS]}" && pwd)
	runs=${3:-30}
	quail=${QUAIL:-build/quail}
	[ -x "$quail" ] || { echo "no quail binary at $quail (set QUAIL)" >&2; exit 1; }
	quail=$(cd "$(dirname "$quail")" && pwd)/$(basename "$quail")
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-nochange.XXXXXX")
	[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT
	export XDG_CACHE_HOME=$tmp/quail-cache QUAIL_CONFIG=$tmp/quail.conf
	: >"$QUAIL_CONFIG"
	mkdir -p "$XDG_CACHE_HOME"
	[ -n "${QUAIL_CACHE:-}" ] && cp -r "$QUAIL_CACHE"/. "$XDG_CACHE_HOME"/
	echo "quail: $("$quail" index "$qdir")"
	export NOTMUCH_CONFIG=$tmp/notmuch.conf
	mkdir -p "$tmp/notmuch-db"
	[ -n "${NOTMUCH_DB:-}" ] && cp -r "$NOTMUCH_DB"/. "$tmp/notmuch-db"/
	printf '[database]\npath=%s\nmail_root=%s\n[new]\ntags=unread;inbox;\n' \
		"$tmp/notmuch-db" "$ndir" >"$NOTMUCH_CONFIG"
	printf '[search]\nexclude_tags=\n[maildir]\nsynchronize_flags=true\n' >>"$NOTMUCH_CONFIG"
	notmuch new --quiet
	"$quail" index "$qdir" >/dev/null # settles the directory times
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	declare -A cmd=([quail]="$quail index $qdir" [notmuch]="notmuch new --quiet"
		[startup]="$quail --version")
	for t in quail notmuch startup; do : >"$tmp/$t.ms"; done
	for ((i = 0; i < runs; i++)); do
		for t in quail notmuch startup; do
			t0=$EPOCHREALTIME
			${cmd[$t]} >/dev/null
			t1=$EPOCHREALTIME
			echo "($t1 - $t0) * 1000" | bc -l >>"$tmp/$t.ms"
		done
	done
	echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-28s %12s %10s %12s\n' "no-change, $runs runs" "median ms" "min ms" "cpu ms"
	for t in quail notmuch startup; do
		cpu=-
		if command -v perf >/dev/null; then
			cpu=$(perf stat -x, -e task-clock -r "$runs" ${cmd[$t]} 2>&1 >/dev/null |
				awk -F, '/task-clock/ { printf "%.2f", $1 }')
		fi
		sort -n "$tmp/$t.ms" | awk -v t="$t" -v cpu="$cpu" \
			'{ v[NR] = $1 } END { printf "%-28s %12.2f %10.2f %12s\n", t, v[int((NR + 1) / 2)], v[1], cpu }'
	done
	exit 0
fi
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
