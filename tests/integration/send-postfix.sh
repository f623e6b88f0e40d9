#!/bin/bash
# quail send, verify and queue against the fixture's Postfix (STARTTLS
# required on submission, implicit TLS on smtps, AUTH through Dovecot,
# delivery over LMTP into Dovecot's Maildirs). What arrives is parsed with
# Python's email package and every attachment compared byte for byte with
# its source file. Needs root (Postfix), dovecot, openssl and python3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/send-common.sh"

[ -n "${QUAIL:-}" ] && [ -x "$QUAIL" ] || fx_skip_all "QUAIL is not set"
timeout 10 "$QUAIL" send --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no send command"
fx_need_cmd openssl dovecot
fx_need_postfix
send_need_python
fx_init
fx_certs
fx_dovecot_start
# shellcheck disable=SC2086
fx_postfix_start $FX_ALL_MECHS
F=$FX_DIR/files
send_files "$F"
CN="$F/测试文档 第一季度 报告 with a long name.doc"
D=$FX_DOMAIN
SUB="smtp://127.0.0.1:$FX_SUBMISSION_PORT"
send_config "$FX_DIR/quail.conf" "$SUB"
export QUAIL_CONFIG=$FX_DIR/quail.conf
printf '你好，这是正文。\nSecond line.\n' >"$FX_DIR/text.txt"

# qsend STDIN-FILE args...: quail send with a timeout
qsend() {
	local in=$1
	shift
	fx_run -t 60 bash -c 'exec "$@" <"$0"' "$in" "$QUAIL" send "$@"
}

count() { # USER: messages in the user's Maildir
	find "$(fx_maildir "$1")"/new "$(fx_maildir "$1")"/cur -type f 2>/dev/null | wc -l
}

# newest USER N: wait for N messages, print the newest one's path
newest() {
	fx_maildir_wait "$1" "$2" 20 | tail -n 1
}

arrived() { # USER N: the user has N messages (within 20 s)
	fx_maildir_wait "$1" "$2" 20 >/dev/null
}

# --- STARTTLS, every builder feature, Bcc ---------------------------------------
qsend "$FX_DIR/text.txt" -v --from '若水 <alice@'$D'>' -s '来自SMTP的问候…… 带附件的邮件' \
	-c '小伙伴 <friend@elsewhere.invalid>' -b "alice@$D" --reply-to "list@$D" \
	--html "$F/page.html" --inline "$F/logo.png" --inline "$F/chart.png" \
	-a "$F/report.pdf" -a "$CN" -a "$F/random.bin" -a "$F/data.csv" -a "$F/big.bin" \
	"张三 <bob@$D>"
fx_is "$FX_RC" 69 "everything over STARTTLS: exit 69 (the Cc at another domain is refused)"
fx_like "$FX_ERR" '^\* .*TLS|^C: STARTTLS' "STARTTLS was used on smtp://"
fx_like "$FX_ERR" 'friend@elsewhere\.invalid: refused: 554' "the refused recipient is named on stderr"
bob=$(newest bob 1)
spec=$(python3 -c 'import json,sys; f=sys.argv[1]; cn=sys.argv[2]; d=sys.argv[3]; print(json.dumps({
 "tree": "mixed(related(alternative(text/plain,text/html),image/png,image/png),application/pdf,application/octet-stream,application/octet-stream,text/csv,application/octet-stream)",
 "subject": "来自SMTP的问候…… 带附件的邮件",
 "from": ["若水", "alice@" + d],
 "to": [["张三", "bob@" + d]],
 "cc": [["小伙伴", "friend@elsewhere.invalid"]],
 "absent": ["Bcc"],
 "text": "你好，这是正文。\nSecond line.\n",
 "html": f + "/page.html",
 "inline": [["logo.png", f + "/logo.png"], ["chart.png", f + "/chart.png"]],
 "attachments": [["report.pdf", f + "/report.pdf"], [cn.rsplit("/", 1)[1], cn],
   ["random.bin", f + "/random.bin"], ["data.csv", f + "/data.csv"], ["big.bin", f + "/big.bin"]]}))' "$F" "$CN" "$D")
send_ok "bob got every part: tree, names, text, HTML, files byte for byte" "$bob" "$spec"
alice=$(newest alice 1)
send_ok "the Bcc recipient got it too, without a Bcc header" "$alice" "$spec"
fx_unlike "$(cat "$bob" "$alice")" "^Bcc:" "no Bcc field in any delivered copy"

# --- smtps with each AUTH mechanism ----------------------------------------------
n=$(count bob)
for mech in $FX_ALL_MECHS; do
	qsend "$FX_DIR/text.txt" -v --smtp "smtps://127.0.0.1:$(fx_port "smtps-$mech")" -s "auth $mech" "bob@$D"
	fx_is "$FX_RC" 0 "smtps with AUTH $mech: exit 0"
	fx_like "$FX_ERR" "^C: AUTH ${mech^^}( |\$)" "smtps: AUTH ${mech^^} used"
	fx_no_password "smtps with AUTH $mech: the password is never shown" "$FX_ERR"
	n=$((n + 1))
done
fx_check "every mechanism delivered" arrived bob "$n"

# --- partial and total refusal ---------------------------------------------------
qsend "$FX_DIR/text.txt" -s partial "bob@$D" "nobody@$D" "x@elsewhere.invalid"
fx_is "$FX_RC" 69 "two of three refused: exit 69"
fx_like "$FX_ERR" "nobody@$D: refused: 550 5\\.1\\.1" "the unknown user is named"
fx_like "$FX_ERR" 'x@elsewhere\.invalid: refused: 554' "the other domain is named"
n=$((n + 1))
fx_check "the accepted recipient got it" arrived bob "$n"
qsend "$FX_DIR/text.txt" -s none "x@elsewhere.invalid"
fx_is "$FX_RC" 69 "every recipient refused: exit 69"
fx_like "$FX_ERR" '^quail: .*RCPT.*not sent' "every recipient refused: not sent"

# --- dot-stuffing and line ends (-t) -----------------------------------------------
printf 'From: Alice <alice@%s>\nTo: bob@%s\nBcc: alice@%s\nSubject: dots\n\n.\n..x\nlone\rcr\nlf only\n.\n.end\nlast line without end' \
	"$D" "$D" "$D" >"$FX_DIR/dots.eml"
qsend "$FX_DIR/dots.eml" -t
fx_is "$FX_RC" 0 "-t with dots: exit 0"
n=$((n + 1))
send_ok "dots, lone CR and LF arrive as lines, nothing ends the data early" "$(newest bob "$n")" \
	'{"body_raw": ".\n..x\nlone\ncr\nlf only\n.\n.end\nlast line without end\n", "absent": ["Bcc"]}'

# --- 8BITMIME (Postfix offers it, and SMTPUTF8) ---------------------------------------
# A raw UTF-8 header and an 8-bit body go as BODY=8BITMIME without SMTPUTF8:
# asking for SMTPUTF8 would make Postfix bounce the message at Dovecot's
# LMTP, which does not offer it.
printf 'From: alice@%s\nTo: bob@%s\nSubject: 原始的主题\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n八位的正文\n' \
	"$D" "$D" >"$FX_DIR/8bit.eml"
qsend "$FX_DIR/8bit.eml" -t -v
fx_is "$FX_RC" 0 "8-bit body and header: exit 0"
fx_like "$FX_ERR" "^C: MAIL FROM:<alice@$D> SIZE=[0-9]+ BODY=8BITMIME\$" "BODY=8BITMIME, no SMTPUTF8"
n=$((n + 1))
send_ok "8-bit body and header intact" "$(newest bob "$n")" '{"text": "八位的正文\n", "subject": "原始的主题"}'

# --- SIZE -------------------------------------------------------------------------
head -c 8000000 /dev/urandom >"$FX_DIR/8mb.bin"
qsend "$FX_DIR/text.txt" -v -a "$FX_DIR/8mb.bin" -s big "bob@$D"
fx_is "$FX_RC" 69 "a message over the server's SIZE: exit 69"
fx_like "$FX_ERR" 'SIZE' "says SIZE"
fx_unlike "$FX_ERR" '^C: MAIL' "MAIL was never sent"
head -c 5000000 /dev/urandom >"$FX_DIR/5mb.bin"
qsend "$FX_DIR/text.txt" -a "$FX_DIR/5mb.bin" -s "5 MB" "bob@$D"
fx_is "$FX_RC" 0 "a 5 MB attachment: exit 0"
n=$((n + 1))
send_ok "the 5 MB attachment arrived byte for byte" "$(newest bob "$n")" \
	"{\"attachments\": [[\"5mb.bin\", \"$FX_DIR/5mb.bin\"]]}"

# --- header injection over the wire ------------------------------------------------
qsend "$FX_DIR/text.txt" -s $'x\r\nBcc: alice@'"$D" "bob@$D"
fx_is "$FX_RC" 64 "header injection: exit 64"
sleep 1
fx_is "$(count bob)" "$n" "header injection: nothing was sent"

# --- verify --------------------------------------------------------------------------
fx_run -t 30 "$QUAIL" verify "bob@$D"
fx_is "$FX_RC" 0 "verify a known user: exit 0"
fx_like "$FX_OUT" "^25[0-2] " "verify prints the answer"
fx_run -t 30 "$QUAIL" verify "nobody@$D"
fx_is "$FX_RC" 69 "verify an unknown user: exit 69"
fx_like "$FX_OUT" '^550 5\.1\.1' "verify shows the refusal"

# --- the queue ---------------------------------------------------------------------
dead=$(fx_free_ports 1)
send_config "$FX_DIR/dead.conf" "smtps://127.0.0.1:$dead"
for i in 1 2 3; do
	QUAIL_CONFIG=$FX_DIR/dead.conf qsend "$FX_DIR/text.txt" --queue --dsn success,failure \
		-s "queued $i" "bob@$D"
	fx_is "$FX_RC" 0 "server down, --queue: exit 0 ($i)"
	fx_like "$FX_ERR" '^queued: ' "server down, --queue: 'queued: reason' ($i)"
done
QUAIL_CONFIG=$FX_DIR/dead.conf qsend "$FX_DIR/text.txt" -s "not queued" "bob@$D"
fx_is "$FX_RC" 75 "server down, no --queue: exit 75"
QUAIL_CONFIG=$FX_DIR/dead.conf qsend "$FX_DIR/text.txt" --queue -s "partly bad" "bob@$D" "y@elsewhere.invalid"
QUAIL_CONFIG=$FX_DIR/dead.conf qsend "$FX_DIR/text.txt" --queue -s "all bad" "z@elsewhere.invalid"
fx_run -t 30 "$QUAIL" queue list
fx_is "$(printf '%s\n' "$FX_OUT" | grep -c 'bytes  <alice@')" 5 "queue list shows 5 messages"
fx_like "$FX_OUT" '^    queued: .*(refused|connect)' "queue list shows why they were queued"
conns_before=$(grep -c 'postfix/submission/smtpd.*: connect from' "$FX_DIR/logs/postfix.log")
fx_run -t 60 "$QUAIL" queue flush
fx_is "$FX_RC" 69 "flush: exit 69 (two messages had recipients refused for good)"
fx_like "$FX_OUT" '^flushed: 3 sent, 2 failed, 0 deferred$' "flush: 3 sent, 2 failed"
conns_after=$(grep -c 'postfix/submission/smtpd.*: connect from' "$FX_DIR/logs/postfix.log")
fx_is "$((conns_after - conns_before))" 1 "flush used one connection"
n=$((n + 4))
fx_check "the queued messages arrived (3, and 1 to bob of the partial one)" arrived bob "$n"
grep -l '^Subject: queued' "$(fx_maildir bob)"/new/* >/dev/null 2>&1
fx_is "$?" 0 "a queued message is in bob's Maildir"
got=$(grep -l '^Subject: queued 1' "$(fx_maildir bob)"/new/* | head -n 1)
fx_unlike "$(cat "$got")" '^X-Quail-' "the outbox envelope was cut off before sending"
fx_run -t 30 "$QUAIL" queue list
fx_is "$(printf '%s\n' "$FX_OUT" | grep -c 'FAILED')" 2 "two refused messages stay in the outbox"
fx_like "$FX_OUT" "<bob@$D>: sent" "the partial one: bob sent"
fx_like "$FX_OUT" '<y@elsewhere.invalid>: failed: 554 5\.7\.1' "the partial one: the refusal with the server's reason"
fx_run -t 60 "$QUAIL" queue flush
fx_like "$FX_OUT" '^flushed: 0 sent, 0 failed, 0 deferred$' "a second flush sends nothing again"
sleep 1
fx_is "$(count bob)" "$n" "bob did not get the partial one twice"
ids=$("$QUAIL" queue list | sed -n 's/^\([^ ]*\)  .*FAILED$/\1/p')
for id in $ids; do
	fx_run -t 30 "$QUAIL" queue drop "$id"
	fx_is "$FX_RC" 0 "queue drop $id"
done
fx_run -t 30 "$QUAIL" queue list
fx_like "$FX_OUT" '^the outbox is empty$' "the outbox is empty"

# --- sendmail ------------------------------------------------------------------------
ln -s "$QUAIL" "$FX_DIR/sendmail"
printf 'To: bob@%s\nSubject: cron job\n\noutput of the job\n' "$D" >"$FX_DIR/cron.eml"
fx_run -t 60 bash -c 'exec "$0" -FCronDaemon -i -B8BITMIME -oem -oi -t <"$1"' "$FX_DIR/sendmail" "$FX_DIR/cron.eml"
fx_is "$FX_RC" 0 "sendmail -FCronDaemon -i -B8BITMIME -oem -oi -t: exit 0"
n=$((n + 1))
got=$(newest bob "$n")
send_ok "sendmail: delivered with a From for the cron daemon" "$got" \
	"{\"subject\": \"cron job\", \"from\": [\"CronDaemon\", \"alice@$D\"], \"text\": \"output of the job\\n\"}"
printf 'To: someone@elsewhere.invalid\nSubject: args only\n\nbody\n' >"$FX_DIR/args.eml"
fx_run -t 60 bash -c 'exec "$0" "bob@'"$D"'" <"$1"' "$FX_DIR/sendmail" "$FX_DIR/args.eml"
fx_is "$FX_RC" 0 "sendmail RECIPIENT (no -t): only the argument is a recipient"
n=$((n + 1))
fx_check "sendmail RECIPIENT: delivered" arrived bob "$n"

# --- Save to Sent ---------------------------------------------------------------------
# After a send, the message goes to the account's sent_folder over IMAP
# (created on first use); a queue flush saves all it sends over one session.
imaps="imaps://127.0.0.1:$FX_IMAPS_PORT"
send_config "$FX_DIR/sent.conf" "$SUB" "imap=$imaps" "sent_folder=Sent Items"
send_config "$FX_DIR/sent-dead.conf" "smtps://127.0.0.1:$dead" "imap=$imaps" "sent_folder=Sent Items"
in_sent() { # messages in alice's "Sent Items" on the server
	timeout 60 doveadm -c "$FX_DIR/dovecot-main/dovecot.conf" search -u alice \
		mailbox "Sent Items" ALL 2>/dev/null | wc -l
}
QUAIL_CONFIG=$FX_DIR/sent.conf qsend "$FX_DIR/text.txt" -s "kept in Sent" "bob@$D"
fx_is "$FX_RC" 0 "send with sent_folder: exit 0"
fx_is "$FX_ERR" "" "send with sent_folder: no warning"
n=$((n + 1))
fx_check "send with sent_folder: delivered" arrived bob "$n"
fx_is "$(in_sent)" 1 "the sent message is in 'Sent Items' (created for it)"
sent_file=$(timeout 60 doveadm -c "$FX_DIR/dovecot-main/dovecot.conf" -f flow fetch -u alice \
	'flags text' mailbox "Sent Items" ALL 2>/dev/null)
fx_like "$sent_file" 'Subject: kept in Sent' "the copy in Sent is the message"
fx_like "$sent_file" 'flags=\\Seen' "the copy in Sent is \\Seen"
for i in 1 2 3; do
	QUAIL_CONFIG=$FX_DIR/sent-dead.conf qsend "$FX_DIR/text.txt" --queue -s "queued for Sent $i" "bob@$D"
done
logins_before=$(grep -c 'imap-login: Info: Login: user=<alice>' "$FX_DIR/logs/dovecot-main.log" 2>/dev/null)
QUAIL_CONFIG=$FX_DIR/sent.conf fx_run -t 60 "$QUAIL" queue flush
fx_is "$FX_RC" 0 "queue flush with sent_folder: exit 0"
n=$((n + 3))
fx_check "queue flush with sent_folder: the 3 arrived" arrived bob "$n"
fx_is "$(in_sent)" 4 "queue flush with sent_folder: the 3 are in 'Sent Items' too"
logins_after=$(grep -c 'imap-login: Info: Login: user=<alice>' "$FX_DIR/logs/dovecot-main.log" 2>/dev/null)
fx_is "$((logins_after - logins_before))" 1 "queue flush with sent_folder: one IMAP login for all 3"
# The copy to Sent goes with the send's options: -v traces its APPEND.
QUAIL_CONFIG=$FX_DIR/sent.conf qsend "$FX_DIR/text.txt" -v -s "traced to Sent" "bob@$D"
fx_is "$FX_RC" 0 "send -v with sent_folder: exit 0"
fx_like "$FX_ERR" '^C: [A-Za-z0-9]+ APPEND ' "send -v: the APPEND to Sent is traced"
n=$((n + 1))
fx_check "send -v with sent_folder: delivered" arrived bob "$n"

fx_done
