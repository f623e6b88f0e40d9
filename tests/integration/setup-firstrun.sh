#!/bin/bash
# A first run as the README tells it, with nothing but the defaults: quail
# setup writes ~/.config/quail/config, then `quail send` sends a message
# with that account, Postfix delivers it to Dovecot, `quail fetch` brings
# it into ~/Mail/NAME, `quail scan` lists it and `quail` alone (the UI)
# shows it. Every step uses the file setup wrote (no --config, no server
# options after setup).
# QUAIL may name an installed quail: tools/deb-test.sh runs this against
# the package's /usr/bin/quail. Needs root (Postfix).
. "$(dirname "$0")/lib.sh"

fx_need_quail
"$QUAIL" setup --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no setup command"
fx_need_cmd openssl dovecot setsid
fx_need_postfix
fx_init
fx_certs
fx_dovecot_start
fx_postfix_start

# The user's own home, inside the fixture: where things live is checked.
export HOME=$FX_DIR/home
unset XDG_CONFIG_HOME
mkdir -p "$HOME"
IMAPS=imaps://127.0.0.1:$FX_IMAPS_PORT
SMTPS=smtps://127.0.0.1:$FX_SMTPS_PORT

# --- quail setup ------------------------------------------------------------------
fx_run -t 60 setsid -w "$QUAIL" setup alice@example.test --imap "$IMAPS" --smtp "$SMTPS" \
	--user alice --password-command "echo $FX_PASSWORD" --ca-file "$FX_CA" --timeout 10
fx_is "$FX_RC" 0 "setup: exit 0"
fx_like "$FX_OUT" "^added \\[account example\\] in $HOME/\\.config/quail/config\$" \
	"setup: the account written to ~/.config/quail/config"
fx_is "$(stat -c %a "$HOME/.config/quail/config" 2>/dev/null)" 600 "setup: the file is 0600"

# --- send -------------------------------------------------------------------------
subject="first mail $$"
fx_run -t 60 bash -c "printf 'Hello from the first run.\\n' |
	'$QUAIL' send -s '$subject' alice@example.test"
fx_is "$FX_RC" 0 "send: exit 0 with the account setup wrote"
if fx_maildir_wait alice 1 20 >/dev/null; then
	fx_pass "send: Postfix delivered it to alice's mailbox"
else
	fx_fail "send: Postfix delivered it to alice's mailbox"
fi

# --- read -------------------------------------------------------------------------
fx_run -t 60 "$QUAIL" fetch --quiet
fx_is "$FX_RC" 0 "fetch: exit 0 with the account setup wrote"
fx_like "$FX_OUT" '^fetched 1 messages' "fetch: the message downloaded"
md=$HOME/Mail/example
fx_check "fetch: into ~/Mail/example" test -d "$md"
file=$(find "$md" -path '*/new/*' -type f -o -path '*/cur/*' -type f | head -1)
fx_check "fetch: the body is on disk" grep -q '^Hello from the first run\.' "$file"
scanned=$(dirname "$(dirname "$file")")
fx_run -t 30 "$QUAIL" scan "$scanned"
fx_is "$FX_RC" 0 "scan: exit 0"
fx_like "$FX_OUT" "alice.*$subject" "scan: the message listed with its sender and subject"

# --- read in the UI -----------------------------------------------------------------
# `quail` alone on a terminal: the reader on the default account's INBOX,
# the message in the index, Enter shows its text, q q leaves.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
if "$PY" -c 'import pyte' 2>/dev/null; then
	cat >"$FX_DIR/ui.py" <<-'PY'
		import sys
		sys.path.insert(0, sys.argv[2])
		from harness import Term
		quail, home, subject = sys.argv[1], sys.argv[3], sys.argv[4]
		t = Term([quail], 24, 100, env={"HOME": home})
		try:
		    t.wait_text(subject, 30)
		    print("index: shown")
		    t.send("\r")
		    t.wait_text("Hello from the first run.", 15)
		    print("pager: shown")
		    t.send("q")
		    t.settle(0.3, 3)
		    t.send("q")
		    print("exit %d" % t.wait_exit(15))
		except AssertionError as e:
		    print(e)
		finally:
		    t.close()
	PY
	fx_run -t 90 "$PY" "$FX_DIR/ui.py" "$QUAIL" "$(cd "$(dirname "$0")/../ui" && pwd)" "$HOME" \
		"$subject"
	fx_like "$FX_OUT" '^index: shown$' "ui: the message in the index of the default account"
	fx_like "$FX_OUT" '^pager: shown$' "ui: Enter shows its text"
	fx_like "$FX_OUT" '^exit 0$' "ui: q q leaves with exit 0"
else
	fx_skip "ui: read in the UI" "python3-pyte not installed"
fi

fx_done
