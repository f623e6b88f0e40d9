#!/bin/bash
# A message written in the curses UI with two attachments (binary bytes and
# a text file with a Chinese name) and a Chinese subject, sent through the
# fixture's Postfix, then read back as Dovecot stored it: the Subject's
# encoded words, the multipart/mixed structure, each attachment's transfer
# encoding and decoded bytes, the RFC 2231 and RFC 2047 file names, the
# description given on an Attach: line as Content-Description (SPEC
# section 4). Needs root (Postfix), dovecot, openssl, python3 and pyte.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/send-common.sh"

compose_ui_servers
compose_ui_config "smtp://127.0.0.1:$FX_SUBMISSION_PORT"
printf 'From: Bob <bob@%s>\nTo: Alice <alice@%s>\nSubject: Lunch plans\nDate: Mon, 1 Jun 2026 10:00:00 +0000\nMessage-ID: <lunch@%s>\n\nShall we meet at noon?\n' \
	"$D" "$D" "$D" >"$INBOX/cur/1780000000.M1P1.test:2,S"

F=$FX_DIR/files
mkdir -p "$F"
# every byte value and fixed pseudo-random bytes, after a start that no
# magic number matches (libmagic takes bytes 0 1 2 ... for an image)
"$PY" -c 'import random, sys; sys.stdout.buffer.write(b"\x00\xffquail test data\x00" + bytes(range(256)) + random.Random(13).randbytes(20000))' >"$F/data.bin"
"$PY" -c 'import sys; sys.stdout.buffer.write("第一季度报告\n收入：一百万元\n".encode() * 40)' >"$F/报告.txt"
SUBJ='第一季度报告 和 附件'
DESC='季度 "报告" summary'

fx_run -t 120 "$PY" "$(dirname "$0")/compose-ui-attach.py" "$QUAIL" "$UI" "$FX_DIR" "$D" \
	"$SUBJ" "$F/data.bin" "$F/报告.txt::$DESC"
fx_is "$FX_RC" 0 "the UI composed and sent a message with two attachments"
[ "$FX_RC" = 0 ] || fx_diag "$FX_OUT" "$FX_ERR"

msg=$(fx_maildir_wait bob 1 20 | head -n 1)
TEXT=$(printf '附件是第一季度的报告。\n_')
out=$("$PY" "$(dirname "$0")/compose-ui-attach-check.py" "$msg" "$SUBJ" "${TEXT%_}" \
	"$F/data.bin" "$F/报告.txt::$DESC" 2>&1)
fx_is "$?" 0 "Dovecot holds the subject, structure, encodings and bytes sent"
[ -n "$out" ] && fx_diag "$out"
send_ok "Python's parser agrees: tree, subject, file names and bytes" "$msg" \
	"{\"tree\": \"mixed(text/plain,application/octet-stream,text/plain)\", \"subject\": \"$SUBJ\", \"attachments\": [[\"data.bin\", \"$F/data.bin\"], [\"报告.txt\", \"$F/报告.txt\"]]}"
fx_done
