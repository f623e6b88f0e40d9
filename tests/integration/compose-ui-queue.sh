#!/bin/bash
# The outbox retried by the curses UI: with queue = yes and nothing
# listening on the account's SMTP port, a reply sent with y is queued and
# its original keeps no R; then a relay to the fixture's Postfix opens on
# that port, and within the first retry (30 s) the UI sends the queued
# reply, says so, and only then flags the original R. Postfix must have
# delivered the reply to bob. Needs root (Postfix), dovecot, openssl,
# python3 and pyte.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/send-common.sh"

compose_ui_servers
read -r PORT < <(fx_free_ports 1)
compose_ui_config "smtp://127.0.0.1:$PORT" "queue=yes"
export XDG_STATE_HOME=$FX_DIR/state
printf 'From: Bob <bob@%s>\nTo: Alice <alice@%s>\nSubject: Lunch plans\nDate: Mon, 1 Jun 2026 10:00:00 +0000\nMessage-ID: <lunch@%s>\n\nShall we meet at noon?\n' \
	"$D" "$D" "$D" >"$INBOX/cur/1780000000.M1P1.test:2,S"

fx_run -t 200 "$PY" "$(dirname "$0")/compose-ui-queue.py" "$QUAIL" "$UI" "$FX_DIR" "$PORT" \
	"$FX_SUBMISSION_PORT" "$INBOX/cur"
fx_is "$FX_RC" 0 "queued, retried by the UI, sent, and only then the original flagged R"
[ "$FX_RC" = 0 ] || fx_diag "$FX_OUT" "$FX_ERR"

bob1=$(fx_maildir_wait bob 1 20 | head -n 1)
send_ok "the queued reply arrived: Subject Re:" "$bob1" \
	"{\"subject\": \"Re: Lunch plans\", \"to\": [[\"Bob\", \"bob@$D\"]]}"
fx_like "$(cat "$bob1")" '^In-Reply-To: <lunch@example\.test>' "the reply has In-Reply-To"
fx_is "$(find "$FX_DIR" -type f -path '*quail/outbox/*/new/*' 2>/dev/null | wc -l)" 0 \
	"the outbox is empty"
fx_done
