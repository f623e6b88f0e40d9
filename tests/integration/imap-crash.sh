#!/bin/bash
# quail fetch --imap interrupted at random points (SPEC §5): the process
# killed with SIGKILL, and the connection cut by the server (its imap
# process killed), again and again, with new mail and a UIDVALIDITY change
# in between, then a run to the end. After every interruption: no partial
# file in new/ or cur/, no message twice. At the end every message of
# every folder is stored exactly once, and a further run fetches nothing.
# Skips (77) without Dovecot or quail fetch.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-common.sh"

fx_need_quail
im_need_fetch
fx_need_cmd openssl dovecot doveadm sha256sum awk pgrep python3
fx_init
fx_certs
# Maildir++ refuses a name ending in '.'; the fs layout takes it.
FX_MAIL_LOCATION='maildir:~/Maildir:LAYOUT=fs' fx_dovecot_start

url=imaps://127.0.0.1:$FX_IMAPS_PORT
out=$FX_DIR/out
server=$(fx_maildir alice)
master=$(cat "$FX_DIR/dovecot-main/run/master.pid")

# Names with spaces, quotes, '%', non-ASCII and a trailing dot: the
# journal must carry the Maildir paths they map to whole.
drafts_name='Sent "Items" 100% Entwürfe.'
deep_name='草稿 x/子目录 "a%b" y.'
inbox=$(im_folder alice INBOX)
drafts=$(im_folder alice "$drafts_name")
deep=$(im_folder alice "$deep_name")
im_gen "$inbox" 700 1 a
im_gen "$drafts" 400 2 b
im_gen "$deep" 400 3 c
im_resync alice
want() { im_sums "$server"; }
fx_is "$(want | sort -u | grep -c .)" 1500 "1500 distinct messages on the server"

# server_idle: wait (at most 10 s) until Dovecot has no imap process left.
server_idle() {
	local deadline=$((SECONDS + 10))
	while pgrep -P "$master" -x imap >/dev/null && ((SECONDS < deadline)); do
		sleep 0.05
	done
}

invariants() { # WHEN
	local local_sums w dup foreign
	server_idle
	local_sums=$(im_sums "$out")
	w=$(want)
	dup=$(printf '%s\n' "$local_sums" | grep . | uniq -d | wc -l)
	foreign=$(comm -13 <(printf '%s\n' "$w" | sort -u) \
		<(printf '%s\n' "$local_sums" | grep . | sort -u) | wc -l)
	fx_diag "$1: $(printf '%s\n' "$local_sums" | grep -c .) of $(printf '%s\n' "$w" | grep -c .) stored"
	fx_is "$dup" 0 "$1: no message stored twice"
	fx_is "$foreign" 0 "$1: nothing partial or foreign in new/ or cur/"
}

fetch() { # [timeout options...]: one run; the subshell keeps "Killed" out of TAP
	( "$@" "$QUAIL" fetch --imap "$url" --all-folders --user alice \
		--password-command "echo $FX_PASSWORD" --ca-file "$FX_CA" --timeout 20 -o "$out" -q \
		>"$FX_DIR/last.out" 2>"$FX_DIR/last.err" </dev/null; exit $? ) 2>/dev/null
}

kill_runs() { # T...: runs killed with SIGKILL after T seconds each
	local t rc
	for t in "$@"; do
		fetch timeout -s KILL "$t"
		rc=$?
		fx_like "$rc" '^(0|75|137)$' "killed after ${t}s: exit 0, 75 or killed (got $rc)"
		invariants "killed after ${t}s"
	done
}

cut_runs() { # N...: runs whose connection the server drops after N more messages
	local n pid rc start deadline p
	for n in "$@"; do
		start=$(im_count "$out")
		fetch timeout -s KILL 60 &
		pid=$!
		deadline=$((SECONDS + 20))
		while fx__alive "$pid" && [ "$(im_count "$out")" -lt $((start + n)) ] &&
			((SECONDS < deadline)); do
			sleep 0.01
		done
		for p in $(pgrep -P "$master" -x imap); do
			kill -KILL "$p" 2>/dev/null
		done
		wait "$pid"
		rc=$?
		fx_like "$rc" '^(0|75)$' "connection cut after $n messages: exit 0 or 75 (got $rc)"
		if [ "$rc" = 75 ]; then
			fx_like "$(cat "$FX_DIR/last.err")" '^quail: imaps://.*(closed|reset|lost)' \
				"connection cut after $n messages: says the connection was lost"
		fi
		invariants "connection cut after $n messages"
	done
}

# Each step leaves work for the next: the transfer is fast, so runs are
# cut after a few messages, and new mail comes in between.
kill_runs 0.05 0.2
cut_runs 30 200
kill_runs 0.3
im_gen "$drafts" 600 12 d
im_resync alice
cut_runs 50 250
kill_runs 0.1
# A new UIDVALIDITY with new mail: the folder is listed again from UID 1,
# and what is stored must be recognised, cut off or not.
im_doveadm mailbox update -u alice --uid-validity 777 "$deep_name" ||
	fx_bail "doveadm mailbox update failed"
im_gen "$deep" 300 13 e
im_resync alice
cut_runs 20 100
kill_runs 0.05 0.25

# --- to the end ---------------------------------------------------------------------
for try in 1 2 3; do
	fetch timeout 120
	rc=$?
	[ "$rc" = 75 ] || break # a lock left by a killed session may need a moment
	sleep 1
done
fx_is "$rc" 0 "the final run completes"
fx_check "every message stored exactly once" test "$(im_sums "$out")" = "$(want)"
fx_is "$(im_bad_flags "$out" | head -3)" "" "every message has its flags"
fx_like "$(cat "$FX_DIR/last.out")" '^fetched [0-9]+ messages \([0-9]+ bytes\) from 3 folders$' \
	"the final run prints the summary"
fetch timeout 60
fx_is "$(cat "$FX_DIR/last.out")" "fetched 0 messages (0 bytes) from 3 folders" \
	"a run after that fetches nothing"
fx_is "$(find "$out" -type f -path "$out/*/new/*" -o -type f -path "$out/*/cur/*" | wc -l)" \
	"$(want | grep -c .)" "as many files as the server has messages"

# A journal written before paths were encoded (D entries with the path as
# it is) still reads: rewritten that way and without its S entries (so
# every folder is listed again), a run stores nothing twice.
python3 - "$out/.quail/imap-alice@127.0.0.1" <<'PY'
import sys, urllib.parse
path = sys.argv[1]
arity = {b"F": 2, b"V": 2, b"P": 2, b"C": 3, b"S": 3}
lines = []
for line in open(path, "rb").read().split(b"\n")[:-1]:
    w, out, i = line.split(b" "), [], 0
    while i < len(w):
        tag, args = w[i], w[i + 1:i + 1 + arity[w[i]]]
        i += 1 + arity[tag]
        if tag == b"C":
            tag, args = b"D", args[:2] + [urllib.parse.unquote_to_bytes(args[2])]
        if tag != b"S":
            out.append(b" ".join([tag] + args))
    if out:
        lines.append(b" ".join(out))
open(path, "wb").write(b"".join(l + b"\n" for l in lines))
PY
fx_check "the rewritten journal has paths with spaces" \
	grep -q 'D [0-9]* [0-9]* Sent "Items" 100%25 Entwürfe\./' "$out/.quail/imap-alice@127.0.0.1"
fetch timeout 60
fx_is "$(cat "$FX_DIR/last.out")" "fetched 0 messages (0 bytes) from 3 folders" \
	"a run with the older journal fetches nothing"
fx_check "every message still stored exactly once" test "$(im_sums "$out")" = "$(want)"

# Flags changed on the server reach the copies in folders with such names.
im_doveadm flags add -u alice '\Flagged \Answered' mailbox "$drafts_name" uid 1:40 ||
	fx_bail "doveadm flags add failed"
im_doveadm flags remove -u alice '\Seen' mailbox "$deep_name" uid 1:30 ||
	fx_bail "doveadm flags remove failed"
fetch timeout 60
fx_is "$?" 0 "a run after flag changes completes"
# ('%' is kept as %25 in a folder's directory name.)
fx_is "$(diff <(im_server_flags alice "$drafts_name") \
	<(im_local_flags "$out/Sent \"Items\" 100%25 Entwürfe.") | head -3)" "" \
	"$drafts_name: the server's flags are on the copies"
fx_is "$(diff <(im_server_flags alice "$deep_name") \
	<(im_local_flags "$out/草稿 x/子目录 \"a%25b\" y.") | head -3)" "" \
	"$deep_name: the server's flags are on the copies"

fx_done
