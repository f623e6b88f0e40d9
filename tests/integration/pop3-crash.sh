#!/bin/bash
# quail fetch --pop3 --delete interrupted at random points (SPEC §5): the
# process killed with SIGKILL, and the connection cut by the server
# (its pop3 process killed), again and again, then a run to the end. After every
# interruption: no partial file in new/ or cur/, no message twice, and no
# message gone from the server without a local copy. At the end every
# message is stored exactly once and the server is empty.
# Skips (77) without Dovecot or quail fetch.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pop3-common.sh"

fx_need_quail
p3_need_fetch
fx_need_cmd openssl dovecot doveadm sha256sum awk pgrep
fx_init
fx_certs
fx_dovecot_start

url=pop3s://127.0.0.1:$FX_POP3S_PORT
md=$(fx_maildir alice)
# A Maildir path with spaces, quotes, "%", non-ASCII and a trailing dot.
out="$FX_DIR/out \"x\" 100% é."
conf=$FX_DIR/dovecot-main/dovecot.conf

# add PREFIX N SEED [BIG...]: more messages on the server; want is all
# the server has ever had.
want=
add() {
	P3_PREFIX=$1 p3_gen "$md" "${@:2}"
	p3_resync alice
	want=$(printf '%s\n%s\n' "$want" "$(P3_PREFIX=$1 p3_sums_new "$1")" | grep . | sort)
}
p3_sums_new() { # the sums of the files just generated with prefix $1
	find "$md/new" -name "$1*.msg" -print0 | xargs -0 -r sha256sum | awk '{ print $1 }'
}

# 1500 messages, ~70 MB: a whole fetch takes long enough (~0.5 s) for
# the kills to land mid-transfer.
add a 1500 7 300 900
fx_is "$(printf '%s\n' "$want" | sort -u | grep -c .)" 1500 "1500 distinct messages on the server"

# server_idle: wait (at most 10 s) until Dovecot has no pop3 process: the
# session of a killed client goes on for a moment and may still be moving
# files from new/ to cur/, which a scan of the Maildir would miss.
server_idle() {
	local master deadline=$((SECONDS + 10))
	master=$(cat "$FX_DIR/dovecot-main/run/master.pid")
	while pgrep -P "$master" -x pop3 >/dev/null && ((SECONDS < deadline)); do
		sleep 0.05
	done
}

# invariants WHEN: the checks made after each interruption.
invariants() {
	local local_sums server_sums dup lost
	local_sums=$(p3_sums "$out/INBOX")
	server_idle
	server_sums=$(p3_sums "$md")
	dup=$(printf '%s\n' "$local_sums" | grep . | uniq -d | wc -l)
	# every message is on the server or stored locally (or both)
	lost=$(comm -23 <(printf '%s\n' "$want") \
		<(printf '%s\n%s\n' "$local_sums" "$server_sums" | grep . | sort -u) | wc -l)
	fx_diag "$1: $(printf '%s\n' "$local_sums" | grep -c .) stored, $(printf '%s\n' "$server_sums" | grep -c .) on the server"
	fx_is "$dup" 0 "$1: no message stored twice"
	fx_is "$lost" 0 "$1: no message deleted without a local copy"
	# only whole messages reach new/ and cur/: each is one of the server's
	fx_is "$(comm -13 <(printf '%s\n' "$want") <(printf '%s\n' "$local_sums" | grep . | sort -u) |
		wc -l)" 0 "$1: nothing partial or foreign in new/ or cur/"
}

fetch() { # [--delete] [timeout options...]: one run
	local del=
	[ "$1" = --delete ] && del=--delete && shift
	# The subshell keeps bash's "Killed" notice out of the TAP stream.
	( "$@" "$QUAIL" fetch --pop3 "$url" --user alice --password-command "echo $FX_PASSWORD" \
		--ca-file "$FX_CA" --timeout 20 -o "$out" $del -q >"$FX_DIR/last.out" \
		2>"$FX_DIR/last.err" </dev/null; exit $? ) 2>/dev/null
}

# kill [--delete] T...: runs killed with SIGKILL after T seconds each
kill_runs() {
	local del= t rc
	[ "$1" = --delete ] && del=--delete && shift
	for t in "$@"; do
		fetch $del timeout -s KILL "$t"
		rc=$?
		fx_like "$rc" '^(0|75|137)$' "killed after ${t}s${del:+ ($del)}: exit 0, 75 or killed (got $rc)"
		invariants "killed after ${t}s${del:+ ($del)}"
	done
}

# cut_runs N...: runs whose connection the server drops (its pop3
# process killed) once N more messages have been stored locally
cut_runs() {
	local n pid rc start deadline master p
	master=$(cat "$FX_DIR/dovecot-main/run/master.pid")
	for n in "$@"; do
		start=$(p3_count "$out/INBOX")
		fetch --delete timeout -s KILL 60 &
		pid=$!
		deadline=$((SECONDS + 20))
		while fx__alive "$pid" && [ "$(p3_count "$out/INBOX")" -lt $((start + n)) ] &&
			((SECONDS < deadline)); do
			sleep 0.01
		done
		for p in $(pgrep -P "$master" -x pop3); do
			kill -KILL "$p" 2>/dev/null
		done
		wait "$pid"
		rc=$?
		fx_like "$rc" '^(0|75)$' "connection cut after $n messages: exit 0 or 75 (got $rc)"
		if [ "$rc" = 75 ]; then
			fx_like "$(cat "$FX_DIR/last.err")" '^quail: pop3s://.*(closed|reset|lost)' \
				"connection cut after $n messages: says the connection was lost"
		fi
		invariants "connection cut after $n messages"
	done
}

kill_runs 0.03 0.1 0.2
kill_runs --delete 0.05 0.15 0.3
add b 1200 8 400
cut_runs 50 200 400
add c 500 9
kill_runs --delete 0.02 0.08 0.2

# --- to the end ------------------------------------------------------------------------
for try in 1 2 3; do
	fetch --delete timeout 120
	rc=$?
	[ "$rc" = 75 ] || break # a lock left by a killed session may need a moment
	sleep 1
done
fx_is "$rc" 0 "the final run completes"
fx_check "every message stored exactly once" test "$(p3_sums "$out/INBOX")" = "$want"
fx_is "$(p3_count "$md")" 0 "the server is empty"
fx_like "$(cat "$FX_DIR/last.out")" '^fetched [0-9]+ messages \([0-9]+ bytes\) from 1 folders$' \
	"the final run prints the summary"
fetch --delete timeout 60
fx_is "$(cat "$FX_DIR/last.out")" "fetched 0 messages (0 bytes) from 1 folders" \
	"a run after that fetches nothing"

fx_done
