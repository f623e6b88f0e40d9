#!/bin/bash
# A reply whose quail was killed (SIGKILL) on the compose screen keeps its
# link to the message it answers: the next start recovers the draft (R),
# and after y the message Postfix delivered has In-Reply-To and References
# for the original (RFC 5322 §3.6.4), and the original, renamed by another
# program's flag change in between, gets R in its file name and in its
# index row (SPEC section 8). Needs root (Postfix), dovecot, openssl,
# python3 and pyte.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/send-common.sh"

compose_ui_servers
compose_ui_config "smtp://127.0.0.1:$FX_SUBMISSION_PORT"
ORIG=$INBOX/cur/1780000000.M1P1.test:2,S
printf 'From: Bob <bob@%s>\nTo: Alice <alice@%s>\nSubject: Lunch plans\nDate: Mon, 1 Jun 2026 10:00:00 +0000\nMessage-ID: <lunch@%s>\nReferences: <plans@%s>\nIn-Reply-To: <plans@%s>\n\nShall we meet at noon?\n' \
	"$D" "$D" "$D" "$D" "$D" >"$ORIG"

fx_run -t 150 "$PY" "$(dirname "$0")/compose-ui-recover.py" "$QUAIL" "$UI" "$FX_DIR" "$D" "$ORIG"
fx_is "$FX_RC" 0 "the recovered reply was sent and its original shows r"
[ "$FX_RC" = 0 ] || fx_diag "$FX_OUT" "$FX_ERR"

msg=$(fx_maildir_wait bob 1 20 | head -n 1)
fx_like "$(cat "$msg")" '^In-Reply-To: <lunch@example\.test>' "the recovered reply has In-Reply-To"
fx_like "$(cat "$msg")" '^References: <plans@example\.test> <lunch@example\.test>' \
	"the recovered reply has References"
send_ok "the recovered reply: Subject, To, text" "$msg" \
	"{\"subject\": \"Re: Lunch plans\", \"to\": [[\"Bob\", \"bob@$D\"]]}"
fx_like "$(ls "$INBOX/cur")" '^1780000000\.M1P1\.test:2,FRS$' \
	"the renamed original got R beside the F set meanwhile"
fx_is "$(ls "$INBOX/cur" | wc -l)" 1 "the original is still one file"
left=$(ls "$FX_DIR/.local/state/quail/drafts" 2>/dev/null)
fx_is "$left" "" "nothing is left in the drafts directory"
fx_done
