#!/bin/bash
# Writing mail in the curses UI against the fixture's Postfix: the UI runs
# in a pty read by pyte (tests/ui/harness.py), the editor is the scripted
# tests/ui/fake_editor.py. A new message and a reply are sent with y; what
# Postfix delivered to bob is compared byte for byte with the copy quail
# kept in =Sent (the delivered one has only the trace fields in front), its
# fields and text are checked, and the replied message must carry R in its
# file name. Needs root (Postfix), dovecot, openssl, python3 and pyte.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/send-common.sh"

compose_ui_servers
compose_ui_config "smtp://127.0.0.1:$FX_SUBMISSION_PORT"
printf 'From: Bob <bob@%s>\nTo: Alice <alice@%s>\nSubject: Lunch plans\nDate: Mon, 1 Jun 2026 10:00:00 +0000\nMessage-ID: <lunch@%s>\n\nShall we meet at noon?\n' \
	"$D" "$D" "$D" >"$INBOX/cur/1780000000.M1P1.test:2,S"

fx_run -t 120 "$PY" "$(dirname "$0")/compose-ui.py" "$QUAIL" "$UI" "$FX_DIR" "$D"
fx_is "$FX_RC" 0 "the UI composed and sent a message and a reply"
[ "$FX_RC" = 0 ] || fx_diag "$FX_OUT" "$FX_ERR"

bob1=$(fx_maildir_wait bob 1 20 | head -n 1)
bob2=$(fx_maildir_wait bob 2 20 | tail -n 1)
same_as_sent() { # DELIVERED: equal to one copy in =Sent after the trace fields
	"$PY" "$(dirname "$0")/compose-ui-sent.py" "$1" "$FX_DIR/mail/t/Sent" 2>&1
}
out=$(same_as_sent "$bob1")
fx_is "$?" 0 "the new message arrived byte for byte as quail kept it in =Sent"
[ -n "$out" ] && fx_diag "$out"
send_ok "the new message: From, To, Subject and text" "$bob1" \
	"{\"subject\": \"Hello Bob\", \"from\": [\"Alice\", \"alice@$D\"], \"to\": [[\"\", \"bob@$D\"]], \"text\": \"Hi Bob,\\nsee you.\\n\", \"absent\": [\"Bcc\"]}"
out=$(same_as_sent "$bob2")
fx_is "$?" 0 "the reply arrived byte for byte as quail kept it in =Sent"
[ -n "$out" ] && fx_diag "$out"
send_ok "the reply: Subject Re:, quoted text" "$bob2" \
	"{\"subject\": \"Re: Lunch plans\", \"to\": [[\"Bob\", \"bob@$D\"]]}"
fx_like "$(cat "$bob2")" '^In-Reply-To: <lunch@example\.test>' "the reply has In-Reply-To"
fx_like "$(cat "$bob2")" '^> Shall we meet at noon\?' "the reply quotes the original"
fx_like "$(ls "$INBOX/cur")" '^1780000000\.M1P1\.test:2,[A-Z]*R' "the original got R in its file name"
fx_done
