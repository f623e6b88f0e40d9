#!/bin/bash
# quail send against scripted servers (fakeserver.c "script"): a connection
# dropped during DATA is exit 75 and never reported as sent, or queued with
# --queue; 8BITMIME and SMTPUTF8 with and without server support; every
# recipient refused for now (75); STARTTLS required on smtp://; sendmail's
# envelope. Needs no root.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/send-common.sh"

[ -n "${QUAIL:-}" ] && [ -x "$QUAIL" ] || fx_skip_all "QUAIL is not set"
timeout 10 "$QUAIL" send --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no send command"
fx_init

# An account without a password: the scripted servers know no AUTH.
conf() { # FILE URL [KEY=VALUE...]
	local f=$1 url=$2 kv
	shift 2
	{
		echo "[general]"
		echo "maildir = $FX_DIR/mail"
		echo "[account t]"
		echo "from = Alice <alice@example.test>"
		echo "smtp = $url"
		for kv in "$@"; do
			echo "${kv%%=*} = ${kv#*=}"
		done
	} >"$f"
}

# server NAME EHLO-EXTENSION... -- SCRIPT-LINES...: a fakeserver that greets,
# answers EHLO with the extensions, then plays the lines; writes the config
# $FX_DIR/NAME.conf for it.
server() {
	local name=$1 s=$FX_DIR/$1.script
	shift
	{
		echo "S: 220 fake.test ESMTP"
		echo "C:"
		local exts=()
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			exts+=("$1")
			shift
		done
		shift
		local i
		for ((i = 0; i < ${#exts[@]}; i++)); do
			if ((i + 1 < ${#exts[@]})); then echo "S: 250-${exts[i]}"; else echo "S: 250 ${exts[i]}"; fi
		done
		printf '%s\n' "$@"
	} >"$s"
	fx_fake_start "$name" script "$s"
	conf "$FX_DIR/$name.conf" "smtp+insecure://127.0.0.1:$(fx_port "$name")"
}

# run NAME STDIN-FILE args...: quail send with the config of server NAME
run() {
	local name=$1 in=$2
	shift 2
	QUAIL_CONFIG=$FX_DIR/$name.conf fx_run -t 30 bash -c 'exec "$@" <"$0"' "$in" "$QUAIL" send \
		--timeout 5 "$@"
}

printf 'hello\n' >"$FX_DIR/text.txt"

# --- the connection drops during DATA ----------------------------------------------
server drop fake.test PIPELINING 8BITMIME -- "C:" "C:" "C:" "S: 250 2.1.0 ok" "S: 250 2.1.5 ok" \
	"S: 354 go ahead" "C:" "C:" close
run drop "$FX_DIR/text.txt" -s dropped bob@example.test
fx_is "$FX_RC" 75 "dropped during DATA: exit 75"
fx_like "$FX_ERR" 'not sent' "dropped during DATA: says not sent"
fx_unlike "$FX_ERR" '^queued' "dropped during DATA: nothing queued without --queue"
fx_is "$(find "$FX_DIR/mail" "$XDG_STATE_HOME" -type f 2>/dev/null | wc -l)" 0 \
	"dropped during DATA: no outbox file"
run drop "$FX_DIR/text.txt" -s dropped --queue --dsn failure --dsn-ret hdrs bob@example.test
fx_is "$FX_RC" 0 "dropped during DATA with --queue: exit 0"
fx_like "$FX_ERR" '^queued: .*connection' "dropped during DATA with --queue: 'queued: reason'"
ob=$XDG_STATE_HOME/quail/outbox/t
q=$(find "$ob/new" -type f | head -n 1)
fx_check "the message is in the outbox" test -s "$q"
fx_like "$(head -n 8 "$q")" '^X-Quail-To: <bob@example.test>$' "the envelope is stored with it"
fx_like "$(head -n 8 "$q")" '^X-Quail-DSN: NOTIFY=FAILURE RET=HDRS$' "the DSN options are stored with it"
fx_like "$(tr -d '\r' <"$q")" '^Subject: dropped$' "the message is stored whole"
QUAIL_CONFIG=$FX_DIR/drop.conf fx_run -t 30 "$QUAIL" queue list
fx_like "$FX_OUT" '<bob@example.test>: pending' "queue list shows it pending"
# The flush meets the same dropping server: the message stays.
QUAIL_CONFIG=$FX_DIR/drop.conf fx_run -t 30 "$QUAIL" queue flush --timeout 5
fx_is "$FX_RC" 75 "flush against a dropping server: exit 75"
fx_check "the message is still in the outbox" test -s "$q"
fx_is "$(stat -c %a "$ob")" 700 "the outbox is private (0700)"
fx_is "$(find "$FX_DIR/mail" -type f 2>/dev/null | wc -l)" 0 "nothing of the outbox is in the Maildir"
rm -f "$q"

# --- an outbox at the older place, <maildir>/.outbox, moves out of the mail tree ---------
# A message to bob and carol; a flush gets bob through, carol refused for now.
run drop "$FX_DIR/text.txt" -s moved --queue bob@example.test carol@example.test
fx_is "$FX_RC" 0 "queued for bob and carol"
server half fake.test PIPELINING -- "C:" "C:" "C:" "C:" "S: 250 ok" "S: 250 ok" \
	"S: 450 4.2.1 later" "S: 354 go" data "S: 250 2.0.0 queued" "C:" "S: 221 bye"
QUAIL_CONFIG=$FX_DIR/half.conf fx_run -t 30 "$QUAIL" queue flush --timeout 5
fx_is "$FX_RC" 75 "flush with carol refused for now: exit 75"
# Put it where an older quail kept it, journal and all.
mkdir -p "$FX_DIR/mail/t"
mv "$ob" "$FX_DIR/mail/t/.outbox"
QUAIL_CONFIG=$FX_DIR/half.conf fx_run -t 30 "$QUAIL" queue list
fx_is "$FX_RC" 0 "queue list with an outbox at the older place: exit 0"
fx_like "$FX_OUT" '<carol@example.test>: pending' "carol is still pending"
fx_unlike "$FX_OUT" '<bob@example.test>: pending' "bob is not pending again"
fx_check "the old outbox is gone" test ! -e "$FX_DIR/mail/t/.outbox"
fx_is "$(find "$ob/new" "$ob/cur" -type f | wc -l)" 1 "the message is in the new outbox"
server rest fake.test PIPELINING -- "C:" "C:" "C:" "S: 250 ok" "S: 250 ok" "S: 354 go" data \
	"S: 250 2.0.0 queued" "C:" "S: 221 bye"
QUAIL_CONFIG=$FX_DIR/rest.conf fx_run -t 30 "$QUAIL" queue flush --timeout 5
fx_is "$FX_RC" 0 "the flush after the move: exit 0"
fx_like "$(fx_fake_log rest)" '^C: RCPT TO:<carol@example\.test>' "carol gets it"
fx_unlike "$(fx_fake_log rest)" '^C: RCPT TO:<bob@' "bob does not get it twice"
fx_is "$(find "$ob/new" "$ob/cur" -type f | wc -l)" 0 "the outbox is empty"

# --- an outbox others could write to is refused ---------------------------------------
chmod 777 "$ob"
QUAIL_CONFIG=$FX_DIR/rest.conf fx_run -t 30 "$QUAIL" queue list
fx_is "$FX_RC" 78 "an outbox writable by others: exit 78"
fx_like "$FX_ERR" 'writable by group or others' "says why"
chmod 700 "$ob"

# --- drop needs an ID: an empty one would match every message ------------------------
run drop "$FX_DIR/text.txt" -s keep --queue bob@example.test
fx_is "$FX_RC" 0 "queued one more"
QUAIL_CONFIG=$FX_DIR/drop.conf fx_run -t 30 "$QUAIL" queue drop ""
fx_is "$FX_RC" 64 "queue drop '': exit 64"
fx_is "$(find "$ob/new" "$ob/cur" -type f | wc -l)" 1 "queue drop '': the message stays"
id=$(basename "$(find "$ob/new" "$ob/cur" -type f)")
QUAIL_CONFIG=$FX_DIR/drop.conf fx_run -t 30 "$QUAIL" queue drop "${id%%[,:]*}"
fx_is "$FX_RC" 0 "queue drop ID: exit 0"
fx_is "$(find "$ob/new" "$ob/cur" -type f | wc -l)" 0 "queue drop ID: the message is gone"

# --- every recipient refused for now -------------------------------------------------
server busy fake.test PIPELINING -- "C:" "C:" "C:" "S: 250 ok" "S: 450 4.2.1 try later" \
	"S: 554 5.5.1 no valid recipients" "C:" "S: 221 bye"
run busy "$FX_DIR/text.txt" bob@example.test
fx_is "$FX_RC" 75 "every recipient refused for now: exit 75"
fx_like "$FX_ERR" 'bob@example\.test: refused for now: 450 4\.2\.1' "the recipient is named"

# --- 8BITMIME ------------------------------------------------------------------------
printf 'From: a@example.test\nTo: bob@example.test\nSubject: x\n\ngr\xc3\xbc\xc3\x9fe\n' >"$FX_DIR/8bit.eml"
server no8 fake.test PIPELINING -- "C:" "S: 221 bye"
run no8 "$FX_DIR/8bit.eml" -t
fx_is "$FX_RC" 69 "8-bit message, server without 8BITMIME: exit 69"
fx_like "$FX_ERR" '8BITMIME' "says 8BITMIME"
fx_unlike "$(fx_fake_log no8)" '^C: MAIL' "nothing of the transaction was sent"
server yes8 fake.test PIPELINING 8BITMIME -- "C:" "C:" "C:" "S: 250 ok" "S: 250 ok" "S: 354 go" \
	"C:" "C:" "C:" "C:" "C:" "C:" "C:" "C:" "S: 250 queued" "C:" "S: 221 bye"
run yes8 "$FX_DIR/8bit.eml" -t
fx_is "$FX_RC" 0 "8-bit message, server with 8BITMIME: exit 0"
fx_like "$(fx_fake_log yes8)" '^C: MAIL FROM:<alice@example\.test> BODY=8BITMIME$' "BODY=8BITMIME"

# --- SMTPUTF8 ------------------------------------------------------------------------
server noutf fake.test PIPELINING 8BITMIME -- "C:" "C:" "C:" "S: 250 ok" "S: 250 ok" "S: 354 go" \
	"C:" "C:" "C:" "C:" "C:" "C:" "C:" "C:" "C:" "C:" "S: 250 queued" "C:" "S: 221 bye"
run noutf "$FX_DIR/text.txt" '用户@例子.测试'
fx_is "$FX_RC" 69 "non-ASCII local part, server without SMTPUTF8: exit 69"
fx_like "$FX_ERR" 'SMTPUTF8' "says SMTPUTF8"
run noutf "$FX_DIR/text.txt" 'info@例子.测试'
fx_is "$FX_RC" 0 "IDN domain, server without SMTPUTF8: exit 0"
fx_like "$(fx_fake_log noutf)" '^C: RCPT TO:<info@xn--fsqu00a\.xn--0zwm56d>$' "the domain went as its A-label"
server utf fake.test PIPELINING 8BITMIME SMTPUTF8 -- "C:" "C:" "C:" "S: 250 ok" "S: 250 ok" \
	"S: 354 go" "C:" "C:" "C:" "C:" "C:" "C:" "C:" "C:" "C:" "C:" "S: 250 queued" "C:" "S: 221 bye"
run utf "$FX_DIR/text.txt" '用户@例子.测试'
fx_is "$FX_RC" 0 "non-ASCII local part, server with SMTPUTF8: exit 0"
fx_like "$(fx_fake_log utf)" '^C: MAIL FROM:<alice@example\.test> BODY=8BITMIME SMTPUTF8$' \
	"MAIL FROM ... SMTPUTF8 (and 8BITMIME: the To field holds UTF-8)"
fx_like "$(fx_fake_log utf)" '^C: RCPT TO:<用户@例子\.测试>$' "the address went as UTF-8"

# --- STARTTLS is required on smtp:// ----------------------------------------------------
fx_fake_start plain nostarttls smtp
conf "$FX_DIR/plain.conf" "smtp://127.0.0.1:$(fx_port plain)" "user=alice" "password_command=echo topsecret"
QUAIL_CONFIG=$FX_DIR/plain.conf fx_run -t 30 bash -c 'exec "$@" <"$0"' "$FX_DIR/text.txt" "$QUAIL" send \
	--queue bob@example.test
fx_is "$FX_RC" 69 "smtp:// without STARTTLS: exit 69 (not queued: not temporary)"
fx_like "$FX_ERR" 'STARTTLS' "says STARTTLS"
fx_unlike "$(fx_fake_log plain)" '^C: (AUTH|MAIL)' "no AUTH and no MAIL over plaintext"
fx_no_password "the password never crossed" "$(fx_fake_log plain)" topsecret

# --- sendmail: the envelope -----------------------------------------------------------
server sm fake.test PIPELINING 8BITMIME -- "C:" "C:" "C:" "C:" "S: 250 ok" "S: 250 ok" "S: 250 ok" \
	"S: 354 go" "C:" "C:" "C:" "C:" "C:" "C:" "C:" "C:" "C:" "S: 250 queued" "C:" "S: 221 bye"
ln -s "$QUAIL" "$FX_DIR/sendmail"
printf 'To: bob@example.test\nBcc: carol@example.test\nSubject: cron\n\nout\n' >"$FX_DIR/cron.eml"
QUAIL_CONFIG=$FX_DIR/sm.conf fx_run -t 30 bash -c 'exec "$0" -t -i -oem -f root@example.test <"$1"' \
	"$FX_DIR/sendmail" "$FX_DIR/cron.eml"
fx_is "$FX_RC" 0 "sendmail -t -i -oem -f: exit 0"
log=$(fx_fake_log sm)
fx_like "$log" '^C: MAIL FROM:<root@example\.test>$' "sendmail -f sets the envelope sender"
fx_like "$log" '^C: RCPT TO:<bob@example\.test>$' "sendmail -t: To is a recipient"
fx_like "$log" '^C: RCPT TO:<carol@example\.test>$' "sendmail -t: Bcc is a recipient"
fx_unlike "$log" '^C: Bcc:' "sendmail -t: the Bcc field is not transmitted"

fx_done
