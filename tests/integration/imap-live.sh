#!/bin/bash
# The live IMAP session of the UI (app_imap_live) against Dovecot, through
# live_driver: a 1,000-message folder selected, its headers and flags
# fetched and checked against doveadm, one message and one body part
# compared byte for byte with what was stored or delivered, a flag set (seen
# by doveadm), a move, an expunge; IDLE woken by an LMTP delivery (measured:
# under 1 s), IDLE ended by a request and a long request canceled (measured:
# under 100 ms each), and the connection cut by killing Dovecot's imap
# process: the session comes back with the folder selected and idles again.
# Skips (77) without Dovecot, python3 (LMTP client) or the driver.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-common.sh"

[ -x "${LIVE_DRIVER:-}" ] || fx_skip_all "LIVE_DRIVER not built"
fx_need_cmd openssl dovecot doveadm python3 pgrep sha256sum awk
fx_init
fx_certs
fx_dovecot_start

url=imaps://127.0.0.1:$FX_IMAPS_PORT
master=$(cat "$FX_DIR/dovecot-main/run/master.pid")
lmtp=$FX_DIR/dovecot-main/run/lmtp
inbox=$(im_folder alice INBOX)
im_folder alice Archive >/dev/null
im_gen "$inbox" 1000 1
im_resync alice

# deliver FILE: over LMTP to alice, as Postfix would.
deliver() {
	timeout 20 python3 - "$lmtp" "$1" <<-'PY'
		import smtplib, sys
		s = smtplib.LMTP(sys.argv[1])
		s.sendmail("sender@example.test", ["alice@example.test"], open(sys.argv[2], "rb").read())
		s.quit()
	PY
}

now_ms() { date +%s%3N; }

# The driver runs as a co-process: one command, one answer line.
coproc DRV { timeout -k 3 240 "$LIVE_DRIVER" "$url" alice "echo $FX_PASSWORD" "$FX_CA" \
	2>"$FX_DIR/driver.err"; }
drv_pid=$DRV_PID
ask() { # command...: prints the answer line (empty after 70 s of silence)
	local line=
	echo "$*" >&"${DRV[1]}"
	IFS= read -r -t 70 line <&"${DRV[0]}" || line=
	printf '%s\n' "$line"
}
field() { # answer key: the value of key=value
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

a=$(ask wait-conn up 20000)
fx_like "$a" '^ok ' "the session connects and logs in" || true
[ "${a%% *}" = ok ] || fx_bail "no session: $a; $(cat "$FX_DIR/driver.err")"

# --- the folder, its headers and flags ----------------------------------------------------
a=$(ask select INBOX)
fx_like "$a" '^ok messages=1000 ' "SELECT INBOX: 1000 messages ($a)"
uidnext=$(field "$a" uidnext)

a=$(ask headers 1:* "$FX_DIR/headers")
fx_like "$a" '^ok count=1000 ' "headers of 1000 messages ($a)"
# "uid seen flagged message-id" from both sides.
awk '{ printf "%s %d %d %s\n", $1, $2 % 2, int($2 / 4) % 2, $3 }' "$FX_DIR/headers" |
	sort >"$FX_DIR/got"
im_doveadm -f tab fetch -u alice 'uid flags hdr.message-id' mailbox INBOX | tail -n +2 |
	awk -F'\t' '{ gsub(/[ \r]/, "", $3)
		printf "%s %d %d %s\n", $1, ($2 ~ /\\Seen/), ($2 ~ /\\Flagged/), $3 }' |
	sort >"$FX_DIR/want"
fx_is "$(diff "$FX_DIR/got" "$FX_DIR/want" | head -5)" "" \
	"UIDs, \\Seen, \\Flagged and Message-IDs match doveadm's"

# --- one message and one part, byte for byte -------------------------------------------
uid=$(awk '$3 == "<m.5.1@example.test>" { print $1 }' "$FX_DIR/headers")
file=$(find "$inbox" -type f \( -name 'm.1.5' -o -name 'm.1.5[:,]*' \) | head -1)
a=$(ask part "$uid" - "$FX_DIR/whole")
fx_like "$a" '^ok size=' "message $uid fetched whole ($a)"
fx_is "$(sha256sum <"$FX_DIR/whole")" "$(sha256sum <"$file")" \
	"the whole message is the file Dovecot stored"
a=$(ask part "$uid" 1 "$FX_DIR/part1")
# BODY[1] of a single-part message is its body: what follows the blank line.
python3 - "$file" "$FX_DIR/body1" <<-'PY'
	import sys
	d = open(sys.argv[1], "rb").read()
	open(sys.argv[2], "wb").write(d[d.index(b"\r\n\r\n") + 4:])
PY
fx_is "$(sha256sum <"$FX_DIR/part1")" "$(sha256sum <"$FX_DIR/body1")" \
	"BODY[1] of message $uid is the stored body ($a)"

# --- flag, move, expunge ------------------------------------------------------------------
uid6=$(awk '$3 == "<m.6.1@example.test>" { print $1 }' "$FX_DIR/headers")
a=$(ask store "$uid6" + F)
fx_like "$a" '^ok modified=0' "STORE +\\Flagged ($a)"
fx_like "$(im_doveadm fetch -u alice flags mailbox INBOX uid "$uid6")" '\\Flagged' \
	"doveadm fetch flags shows \\Flagged on $uid6"
uid7=$(awk '$3 == "<m.7.1@example.test>" { print $1 }' "$FX_DIR/headers")
a=$(ask move "$uid7" Archive)
fx_like "$a" '^ok new=[0-9]' "MOVE to Archive ($a)"
fx_like "$(im_doveadm fetch -u alice hdr.message-id mailbox Archive all)" 'm\.7\.1@' \
	"the moved message is in Archive"
fx_is "$(im_doveadm search -u alice mailbox INBOX uid "$uid7" | wc -l)" 0 \
	"and gone from INBOX"
# RFC 6851 §4.3: the server reports the moved message's removal (VANISHED,
# QRESYNC being enabled) and the session passes it on, so a view drops it.
a=$(ask wait-event vanished 5000)
fx_like "$a" '^ok ' "the MOVE's VANISHED reaches the caller as an event ($a)"
uid8=$(awk '$3 == "<m.8.1@example.test>" { print $1 }' "$FX_DIR/headers")
ask store "$uid8" + T >/dev/null
a=$(ask expunge)
fx_is "$a" ok "EXPUNGE"
fx_is "$(im_doveadm search -u alice mailbox INBOX all | wc -l)" 998 \
	"INBOX holds 998 messages after the move and the expunge"

# --- folders, copy, append, a conditional store ---------------------------------------------
echo folders >&"${DRV[1]}"
IFS= read -r -t 70 a <&"${DRV[0]}" || a=
folders=
for i in $(seq "$(field "$a" n)"); do
	IFS= read -r -t 10 line <&"${DRV[0]}" || break
	folders="$folders$line"$'\n'
done
fx_like "$a" '^ok n=2$' "two folders listed ($a)"
fx_like "$folders" '^INBOX 998 ' "INBOX with its count"
fx_like "$folders" '^Archive 1 ' "Archive with its count"
uid9=$(awk '$3 == "<m.9.1@example.test>" { print $1 }' "$FX_DIR/headers")
a=$(ask copy "$uid9" Nowhere)
fx_like "$a" '^err unavailable refused/TRYCREATE: ' "COPY to a missing folder says TRYCREATE ($a)"
a=$(ask copy "$uid9" Archive)
fx_like "$a" '^ok new=[0-9]+$' "COPY to Archive ($a)"
printf 'From: a@example.test\r\nSubject: appended\r\nMessage-ID: <appended.1@example.test>\r\n\r\nbody\r\n' \
	>"$FX_DIR/append.eml"
a=$(ask append Archive "$FX_DIR/append.eml")
fx_like "$a" '^ok new=[0-9]+$' "APPEND to Archive ($a)"
fx_like "$(im_doveadm -f tab fetch -u alice 'flags hdr.message-id' mailbox Archive all)" \
	'Seen.*appended\.1@' "doveadm sees the appended message with \\Seen"
uid10=$(awk '$3 == "<m.10.1@example.test>" { print $1 }' "$FX_DIR/headers")
ask store "$uid10" + F >/dev/null
a=$(ask store "$uid10" + S 1)
fx_like "$a" '^ok modified=1$' "STORE (UNCHANGEDSINCE 1) of a changed message: MODIFIED ($a)"
fx_unlike "$(im_doveadm fetch -u alice flags mailbox INBOX uid "$uid10")" '\\Seen' \
	"and the flag was left alone"
a=$(ask store "$uid10" + S 999999)
fx_like "$a" '^ok modified=0$' "STORE (UNCHANGEDSINCE 999999) goes through ($a)"
fx_like "$(im_doveadm fetch -u alice flags mailbox INBOX uid "$uid10")" '\\Seen' \
	"doveadm fetch flags shows \\Seen on $uid10"

# --- IDLE ------------------------------------------------------------------------------------
fx_is "$(ask idle on)" ok "idle on"
ask clear >/dev/null
sleep 0.3 # the owner enters IDLE
printf 'From: Carol <carol@example.test>\r\nTo: alice@example.test\r\nSubject: live\r\nMessage-ID: <live.1@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="x.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\nICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=\r\n--b1--\r\n' \
	>"$FX_DIR/live.eml"
t0=$(now_ms)
deliver "$FX_DIR/live.eml" || fx_fail "LMTP delivery" "$(tail -3 "$FX_DIR/logs/dovecot-main.log")"
t1=$(now_ms)
a=$(ask wait-event exists 5000)
at=$(field "$a" at)
fx_like "$a" '^ok ' "IDLE reports the delivery as EXISTS ($a)"
lat=$((${at:-0} - t1))
fx_diag "LMTP delivery took $((t1 - t0)) ms; EXISTS came $lat ms after it ended"
fx_check "IDLE woken within 1 s of the delivery ($lat ms)" test "${at:-0}" -gt 0 -a "$lat" -lt 1000

# The part of the delivered message, against what was delivered.
a=$(ask part "$uidnext" 2 "$FX_DIR/part2")
# RFC 2046 §5.1.1: the CRLF before a boundary belongs to the boundary.
printf 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\nICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=' \
	>"$FX_DIR/want2"
fx_is "$(sha256sum <"$FX_DIR/part2")" "$(sha256sum <"$FX_DIR/want2")" \
	"BODY[2] of the delivered message is the attachment as delivered ($a)"

sleep 0.3 # idling again
worst=0
for i in 1 2 3 4 5; do
	a=$(ask noop-timed)
	ms=$(field "$a" ms)
	[ "${ms:-9999}" -gt "$worst" ] && worst=${ms:-9999}
	sleep 0.2
done
fx_diag "a request while idling answered in at most $worst ms (5 tries)"
fx_check "IDLE left and a request answered within 100 ms ($worst ms)" test "$worst" -lt 100

a=$(ask cancel-timed)
ms=$(field "$a" ms)
fx_diag "a running HEADERS 1:* canceled: answered in $ms ms"
fx_like "$a" 'class=canceled running=1' "a running request canceled ends CANCELED ($a)"
fx_check "the cancel answered within 100 ms (${ms:-?} ms)" test "${ms:-9999}" -lt 100
a=$(ask select INBOX)
fx_like "$a" '^ok messages=999 ' "the session is usable after the cancel ($a)"

# --- a dropped connection -------------------------------------------------------------------
ask clear >/dev/null
sleep 0.3
t0=$(now_ms)
for p in $(pgrep -P "$master" -x imap); do kill -KILL "$p"; done
a=$(ask wait-conn down 5000)
fx_like "$a" '^ok ' "the lost connection is reported ($a)"
a=$(ask wait-conn up 15000)
fx_like "$a" '^ok .*folder=INBOX messages=999$' "it comes back with INBOX selected ($a)"
fx_diag "back after $(($(field "$a" at) - t0)) ms"
sleep 0.3
ask clear >/dev/null # the EXISTS of the SELECT that restored INBOX
deliver "$FX_DIR/live.eml" || fx_fail "second LMTP delivery"
a=$(ask wait-event exists 5000)
fx_like "$a" '^ok .*num=1000$' "and idles again: the next delivery is reported ($a)"

# --- close -----------------------------------------------------------------------------------
echo quit >&"${DRV[1]}"
wait "$drv_pid"
fx_is "$?" 0 "the driver closes the session and exits 0"
fx_like "$(cat "$FX_DIR/driver.err")" '^closed in [0-9]+ ms' "close returns"
fx_diag "$(cat "$FX_DIR/driver.err")"
for i in $(seq 50); do
	pgrep -P "$master" -x imap >/dev/null || break
	sleep 0.1
done
fx_is "$(pgrep -P "$master" -x imap | wc -l)" 0 "no imap process is left (logged out)"

fx_done
