#!/bin/bash
# The UI's background sync against Dovecot (SPEC §8, §10): the UI runs in
# a pty read by pyte (tests/ui/harness.py) on =INBOX of an account with
# imap; sync-ui.py drives it and this script acts on the server between
# its steps. Checked: the sync at open brings the server's messages; a
# message delivered over LMTP shows in the index within 10 s without a key
# (IDLE asks for the sync; measured); a flag set on the server shows after
# :sync-account; an expunge on the server removes the row within 10 s
# (IDLE again); ^G during a sync of 1,500 messages moved in stops it and the
# status says so (measured); quitting during a sync ends the UI within
# 1.5 s; a bad sync_interval is a configuration error (exit 78); with
# sync_interval = 2 and no IDLE, a delivery shows by the timer. Skips
# (77) without Dovecot, python3-pyte or quail.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-common.sh"

[ -n "${QUAIL:-}" ] && [ -x "$QUAIL" ] || fx_skip_all "QUAIL is not set"
fx_need_cmd openssl dovecot doveadm
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
"$PY" -c 'import pyte' 2>/dev/null || fx_skip_all "python3-pyte not installed"
fx_init
fx_certs
fx_dovecot_start

lmtp=$FX_DIR/dovecot-main/run/lmtp
inbox=$(im_folder alice INBOX)
im_gen "$inbox" 5 1
# 1,500 messages the UI does not sync, moved into INBOX in one go later
# (written straight into INBOX, IDLE would see the first ones early)
im_gen "$(im_folder alice Big)" 1500 2 big
im_resync alice

conf=$FX_DIR/quail.conf
{
	echo "[general]"
	echo "default_account = t"
	echo "maildir = $FX_DIR/mail"
	echo "[account t]"
	echo "from = Alice <alice@$FX_DOMAIN>"
	echo "imap = imaps://127.0.0.1:$FX_IMAPS_PORT"
	echo "user = alice"
	echo "password_command = echo $FX_PASSWORD"
	echo "ca_file = $FX_CA"
	echo "[ui]"
	echo "sync_interval = 0"
} >"$conf"
chmod 600 "$conf"
export QUAIL_CONFIG=$conf
mkdir -p "$FX_DIR/mail/t/INBOX/cur" "$FX_DIR/mail/t/INBOX/new" "$FX_DIR/mail/t/INBOX/tmp"

steps=$FX_DIR/steps
mkdir -p "$steps"
step_wait() { # NAME: wait (at most 60 s) until the driver is at step NAME
	local i
	for i in $(seq 1 600); do
		[ -e "$steps/$1.ready" ] && return 0
		kill -0 "$drv" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

printf 'From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: Live delivery\r\nMessage-ID: <live@example.test>\r\n\r\nNew.\r\n' >"$FX_DIR/live.eml"

timeout -k 5 240 "$PY" "$(dirname "$0")/sync-ui.py" "$QUAIL" "$(cd "$(dirname "$0")/../ui" && pwd)" \
	"$FX_DIR" "$steps" >"$FX_DIR/drv.out" 2>&1 &
drv=$!

if step_wait deliver; then
	timeout 20 "$PY" - "$lmtp" "$FX_DIR/live.eml" <<-'PY' || fx_diag "LMTP delivery failed"
		import smtplib, sys
		s = smtplib.LMTP(sys.argv[1])
		s.sendmail("sender@example.test", ["alice@example.test"], open(sys.argv[2], "rb").read())
		s.quit()
	PY
	touch "$steps/deliver.done"
fi
if step_wait flag; then
	im_doveadm flags add -u alice '\Flagged' mailbox INBOX header Message-ID '<m.3.1@example.test>' ||
		fx_diag "doveadm flags failed"
	touch "$steps/flag.done"
fi
if step_wait expunge; then
	im_doveadm expunge -u alice mailbox INBOX header Message-ID '<m.1.1@example.test>' ||
		fx_diag "doveadm expunge failed"
	touch "$steps/expunge.done"
fi
if step_wait many; then
	im_doveadm move -u alice INBOX mailbox Big ALL || fx_diag "doveadm move failed"
	touch "$steps/many.done"
fi
wait "$drv"
rc=$?
out=$(cat "$FX_DIR/drv.out")
fx_is "$rc" 0 "the UI synced at open, on IDLE, on :sync-account, stopped on ^G and q"
fx_diag "$out"
m() { printf '%s\n' "$out" | awk -v k="$1" '$1 == "measure" && $2 == k { print $3 }'; }
idle=$(m idle_to_row_ms)
gone=$(m expunge_to_gone_ms)
cancel=$(m cancel_ms)
quit=$(m quit_ms)
fx_check "a delivered message shows within 10 s (${idle:-none} ms)" \
	test -n "$idle" -a "${idle:-99999}" -lt 10000
fx_check "a message expunged on the server goes within 10 s (${gone:-none} ms)" \
	test -n "$gone" -a "${gone:-99999}" -lt 10000
timer=$(m timer_to_row_ms)
fx_check "sync_interval = 2 alone brings a delivery within 10 s (${timer:-none} ms)" \
	test -n "$timer" -a "${timer:-99999}" -lt 10000
fx_check "^G stops the sync within 2 s (${cancel:-none} ms)" \
	test -n "$cancel" -a "${cancel:-99999}" -lt 2000
fx_check "q during a sync ends the UI within 1.5 s (${quit:-none} ms)" \
	test -n "$quit" -a "${quit:-99999}" -lt 1500
fx_done
