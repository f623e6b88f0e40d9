#!/bin/bash
# The first quail sync of a large folder (SPEC §10: "stores the newest
# messages first"; "interrupted runs lose and duplicate nothing") against
# Dovecot on loopback: 2,000 messages, a run killed (SIGKILL) once about a
# hundred are stored, a second one killed at 700, then a rerun. After the
# first kill the messages stored are the newest (the highest UIDs, the
# newest 32 all there); nothing is lost or doubled by the second; after the
# rerun every message is there exactly once, with the server's flags.
# The index of the Maildir sees the first range before the run goes on.
# Skips (77) without Dovecot or quail sync.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-common.sh"

fx_need_quail
timeout 10 "$QUAIL" sync --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no sync command"
fx_need_cmd openssl dovecot doveadm awk
fx_init
# An index of the (empty) Maildir at the default path, so the sync keeps it
# current; read with sqlite3 where installed.
export XDG_CACHE_HOME=$FX_DIR/cache
export HOME=$FX_DIR/home
export QUAIL_CONFIG=$FX_DIR/none.conf
mkdir -p "$HOME"
: >"$QUAIL_CONFIG"
db=$XDG_CACHE_HOME/quail/index.sqlite
fx_certs
fx_dovecot_start

N=2000
imaps=imaps://127.0.0.1:$FX_IMAPS_PORT
out=$FX_DIR/out
inbox=$(im_folder alice INBOX)
im_gen "$inbox" "$N" 3 big
im_resync alice

qargs=(sync --imap "$imaps" --user alice --password-command "echo $FX_PASSWORD"
	--ca-file "$FX_CA" --timeout 20 -o "$out" --folder INBOX)
stored() { find "$out/INBOX/new" "$out/INBOX/cur" -maxdepth 1 -type f 2>/dev/null | wc -l; }

# "UID MESSAGE-ID" of every server message, by UID (highest first)
im_doveadm -f tab fetch -u alice 'uid hdr.message-id' mailbox INBOX | tail -n +2 |
	awk -F'\t' '{ gsub(/[ \r]/, "", $2); print $1, $2 }' | sort -k1,1nr >"$FX_DIR/uids"
fx_is "$(wc -l <"$FX_DIR/uids")" "$N" "the server holds $N messages"

# kill_at M: a sync killed (SIGKILL) once at least M messages are stored
# here (bounded: 60 s)
kill_at() {
	"$QUAIL" "${qargs[@]}" -q >"$FX_DIR/kill.out" 2>&1 &
	local pid=$!
	for _ in $(seq 3000); do
		[ "$(stored)" -ge "$1" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

mkdir -p "$out/INBOX/cur" "$out/INBOX/new" "$out/INBOX/tmp"
fx_run -t 60 "$QUAIL" index "$out"
fx_is "$FX_RC" 0 "the empty Maildir indexed"
indexed() {
	sqlite3 -readonly "$db" "SELECT count(*) FROM msg JOIN folder ON folder.id = msg.folder
		WHERE folder.path LIKE '%/out/INBOX'"
}

# --- a first sync killed part-way ----------------------------------------------
# Killed once the first ranges (32, then 64) are in place.
kill_at 96
k=$(stored)
fx_diag "stored when killed: $k of $N"
if [ "$k" -ge 96 ] && [ "$k" -lt "$N" ]; then
	fx_pass "the run was killed part-way ($k of $N stored)"
else
	fx_fail "the run was killed part-way" "$k of $N stored: $(cat "$FX_DIR/kill.out")"
fi
# The Message-IDs stored here, then their rank among the server's UIDs
# (1: the highest).
im_local_flags "$out/INBOX" | awk '{ print $1 }' | sort >"$FX_DIR/here"
ranks=$(awk 'NR == FNR { here[$1] = 1; next } ($2 in here) { print FNR }' \
	"$FX_DIR/here" "$FX_DIR/uids")
top=$(echo "$ranks" | awk '$1 <= 32' | wc -l)
fx_is "$top" 32 "after the kill: the newest 32 messages are stored"
# Ranges are asked for newest first, each in place before the next: what is
# here are the newest k, but for one range (256 at most) that a commit of
# a full batch may have split.
worst=$(echo "$ranks" | sort -n | tail -1)
if [ "$worst" -le $((k + 256)) ]; then
	fx_pass "after the kill: only the newest were stored (oldest rank $worst of $k stored)"
else
	fx_fail "after the kill: only the newest were stored" "oldest rank $worst, $k stored"
fi

# The first range was indexed before the next was asked for.
if command -v sqlite3 >/dev/null; then
	ix=$(indexed)
	fx_diag "indexed when killed: $ix"
	fx_check "after the kill: the index already holds the newest 32" test "${ix:-0}" -ge 32
else
	fx_skip "after the kill: the index already holds the newest 32" "no sqlite3"
fi

# --- a second run killed too, then the rerun -------------------------------------
# It starts from a state that knows the newest only (not a prefix of the
# UIDs) and goes on below them.
kill_at 700
k2=$(stored)
fx_diag "stored when killed again: $k2 of $N"
im_local_flags "$out/INBOX" | awk '{ print $1 }' | sort >"$FX_DIR/here2"
fx_is "$(uniq -d "$FX_DIR/here2" | wc -l)" 0 "after the second kill: none stored twice"
fx_is "$(comm -23 "$FX_DIR/here" "$FX_DIR/here2" | wc -l)" 0 \
	"after the second kill: what the first run stored is still here"
fx_run -t 300 "$QUAIL" "${qargs[@]}"
fx_is "$FX_RC" 0 "the rerun: exit 0"
fx_like "$FX_OUT" '^synced 1 folders: \+0 -0 ~0 on the server, \+[0-9]+ -0 ~0 here$' \
	"the rerun: nothing sent to the server, nothing deleted"
sv=$(im_server_flags alice INBOX)
lv=$(im_local_flags "$out/INBOX")
fx_is "$(echo "$lv" | wc -l)" "$N" "the rerun: $N messages here"
fx_is "$(echo "$lv" | awk '{ print $1 }' | uniq -d | wc -l)" 0 "the rerun: none stored twice"
if [ "$sv" = "$lv" ]; then
	fx_pass "the rerun: both sides the same, flags too"
else
	fx_fail "the rerun: both sides the same, flags too" \
		"$(diff <(echo "$sv") <(echo "$lv") | head -20)"
fi
fx_is "$(im_bad_flags "$out/INBOX" | wc -l)" 0 "the rerun: every message with the flags it was given"
if command -v sqlite3 >/dev/null; then
	fx_is "$(indexed)" "$N" "the rerun: the index holds all $N"
fi
# A third run finds nothing to do.
fx_run -t 120 "$QUAIL" "${qargs[@]}"
fx_like "$FX_OUT" '^synced 1 folders: \+0 -0 ~0 on the server, \+0 -0 ~0 here$' \
	"a third run changes nothing"

fx_done
