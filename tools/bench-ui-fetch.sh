#!/bin/bash
# Keys in quail's UI while a fetch of 5,000 messages runs into the open
# folder: the background-fetch scenario of the UI bench (SPEC §8: every
# key answered within 50 ms).
#
# Usage: tools/bench-ui-fetch.sh QUAIL [N [LOCAL]]   (run as root or a user
#        that can start Dovecot; needs dovecot-imapd, openssl, python3-pyte)
#
# Starts Dovecot on 127.0.0.1 as tests/integration/lib.sh does (a private
# directory, ports picked at run time, everything stopped at exit), fills
# alice's INBOX with N (5000) generated messages (im_gen of
# tests/integration/imap-common.sh: mostly 1-8 kB, every 10th ~60 kB,
# every 97th ~1 MB; all unread), and makes a local Maildir DIR/mail/INBOX with LOCAL
# (2000) messages already there. tools/bench-ui-fetch.py then opens that
# folder in quail's UI in a pty, starts
#   QUAIL fetch --imap imaps://127.0.0.1:PORT --user alice ... -o DIR/mail
# which delivers into DIR/mail/INBOX, and presses keys every 100 ms until
# the fetch ends, timing each from the screen (see its header). Extra
# options for the driver go in BENCH_UI_FETCH_OPTS (e.g. "--json f.json").
# FX_KEEP=1 keeps the directory; the fetch log is DIR/fetch.log.
set -u
QUAIL=$(readlink -f "${1:?usage: $0 QUAIL [N [LOCAL]]}")
N=${2:-5000}
LOCAL=${3:-2000}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/integration/lib.sh"
. "$here/../tests/integration/imap-common.sh"
fx_need_cmd openssl dovecot doveadm
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
"$PY" -c 'import pyte' 2>/dev/null || fx_skip_all "python3-pyte not installed"
fx_init
fx_certs
fx_dovecot_start
inbox=$(im_folder alice INBOX)
im_gen "$inbox" "$N" 1
# Unread on the server, so that the fetch delivers every one into new/,
# where mail arriving in an open folder is looked for (a message with
# flags goes to cur/).
for f in "$inbox"/cur/*; do
	b=${f##*/}
	mv "$f" "$inbox/new/${b%%:2,*}"
done
im_resync alice
mail=$FX_DIR/mail
im_gen "$mail/INBOX" "$LOCAL" 2 local
[ "$(id -u)" = 0 ] && chown -R "$(id -u):$(id -g)" "$mail"
# shellcheck disable=SC2086 # the options are words
"$PY" "$here/bench-ui-fetch.py" ${BENCH_UI_FETCH_OPTS:-} --home "$FX_DIR/home" \
	--log "$FX_DIR/fetch.log" "$QUAIL" "$mail/INBOX" -- \
	"$QUAIL" fetch --imap "imaps://127.0.0.1:$FX_IMAPS_PORT" --user alice \
	--password-command "echo $FX_PASSWORD" --ca-file "$FX_CA" --timeout 60 -q -o "$mail"
rc=$?
fx_diag "messages in $mail/INBOX: $(im_count "$mail/INBOX")"
exit $rc
