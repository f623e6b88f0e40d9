#!/bin/bash
# ; b in the curses UI bounces every tagged message to one address list
# (mutt's tag-prefix): both arrive through the fixture's Postfix with
# Resent-From and Resent-To in front and the original bytes after them
# unchanged (RFC 5322 §3.6.6); ; R is refused with a message. Needs root
# (Postfix), dovecot, openssl, python3 and pyte.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/send-common.sh"

compose_ui_servers
compose_ui_config "smtp://127.0.0.1:$FX_SUBMISSION_PORT"
M1=$INBOX/cur/1780000000.M1P1.test:2,S
M2=$INBOX/cur/1780000100.M2P1.test:2,S
printf 'From: Carol <carol@%s>\nTo: Alice <alice@%s>\nSubject: Lunch plans\nDate: Mon, 1 Jun 2026 10:00:00 +0000\nMessage-ID: <lunch@%s>\nMIME-Version: 1.0\n\nShall we meet at noon?\n' \
	"$D" "$D" "$D" >"$M1"
printf 'From: Dave <dave@%s>\nTo: Alice <alice@%s>\nSubject: Dinner plans\nDate: Mon, 1 Jun 2026 11:00:00 +0000\nMessage-ID: <dinner@%s>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n晚饭七点见。\n' \
	"$D" "$D" "$D" >"$M2"

fx_run -t 120 "$PY" "$(dirname "$0")/compose-ui-bounce.py" "$QUAIL" \
	"$(cd "$(dirname "$0")/../ui" && pwd)" "$FX_DIR" "$D"
fx_is "$FX_RC" 0 "; b bounced both tagged messages and ; R was refused"
[ "$FX_RC" = 0 ] || fx_diag "$FX_OUT" "$FX_ERR"

got=$(fx_maildir_wait bob 2 20)
fx_is "$(printf '%s\n' "$got" | grep -c .)" 2 "bob received two messages"
out=$("$PY" - "$M1" "$M2" $got <<-'PY' 2>&1
	import sys
	origs = [open(p, 'rb').read() for p in sys.argv[1:3]]
	bad = []
	for p in sys.argv[3:]:
	    data = open(p, 'rb').read()
	    match = [o for o in origs if data.endswith(b'\n' + o)]
	    if len(match) != 1:
	        bad.append('%s: the original bytes are not its end: %r' % (p, data[-600:]))
	        continue
	    origs.remove(match[0])
	    head = data[:len(data) - len(match[0])]
	    if b'\nResent-To: bob@example.test\n' not in head:
	        bad.append('%s: no Resent-To in front: %r' % (p, head))
	    if b'\nResent-From: alice@example.test\n' not in head:
	        bad.append('%s: no Resent-From in front: %r' % (p, head))
	if origs:
	    bad.append('%d originals did not arrive' % len(origs))
	print('\n'.join(bad))
	sys.exit(1 if bad else 0)
	PY
)
fx_is "$?" 0 "each arrived unchanged after its Resent-* fields"
[ -n "$out" ] && fx_diag "$out"
fx_done
