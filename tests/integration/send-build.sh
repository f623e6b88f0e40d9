#!/bin/bash
# quail send --dry-run: what the builder writes parses back with Python's
# email package to the same tree, text and bytes; every line fits in 78
# characters; Bcc appears nowhere; header injection is refused with 64 and
# nothing written; -t keeps the body and drops Bcc. No servers needed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/send-common.sh"

[ -n "${QUAIL:-}" ] && [ -x "$QUAIL" ] || fx_skip_all "QUAIL is not set"
timeout 10 "$QUAIL" send --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no send command"
send_need_python
fx_init
F=$FX_DIR/files
send_files "$F"
export QUAIL_CONFIG=$FX_DIR/none.conf
: >"$QUAIL_CONFIG"
CN="$F/测试文档 第一季度 报告 with a long name.doc"

# dry STDIN-FILE args...: quail send --dry-run, output in $FX_DIR/out.eml
dry() {
	local in=$1
	shift
	timeout 20 "$QUAIL" send --dry-run "$@" <"$in" >"$FX_DIR/out.eml" 2>"$FX_DIR/err.txt"
	FX_RC=$?
	FX_ERR=$(cat "$FX_DIR/err.txt")
}

printf '你好，这是正文。\nSecond line with ASCII.\n' >"$FX_DIR/text.txt"

# --- plain text ---------------------------------------------------------------
dry "$FX_DIR/text.txt" --from 'alice@example.com' -s 'Lunch' bob@example.com
fx_is "$FX_RC" 0 "plain: exit 0"
send_ok "plain: one text/plain part, text intact" "$FX_DIR/out.eml" \
	'{"tree": "text/plain", "subject": "Lunch", "text": "你好，这是正文。\nSecond line with ASCII.\n", "lines78": true}'
fx_unlike "$(cat "$FX_DIR/out.eml")" $'\r' "--dry-run writes LF line ends"
fx_like "$(cat "$FX_DIR/out.eml")" '^Message-ID: <[a-z0-9]+@example\.com>$' "Message-ID at the sender's domain"
fx_like "$(cat "$FX_DIR/out.eml")" '^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [-+][0-9]{4}$' \
	"Date in RFC 5322 form"
fx_like "$(cat "$FX_DIR/out.eml")" '^MIME-Version: 1\.0$' "MIME-Version"

# --- everything at once ---------------------------------------------------------
dry "$FX_DIR/text.txt" --from '若水 <alice@example.com>' -s '来自SMTP的问候…… with a subject long enough to be folded over lines' \
	-c '小伙伴 <friend@example.com>' -c '"Smith, John" <john@example.com>' -b 'secret@example.com' \
	--reply-to 'list@example.com' -H 'X-Mailer: quail test' -H 'X-Note: 中文说明' \
	--html "$F/page.html" --inline "$F/logo.png" --inline "$F/chart.png" \
	-a "$F/report.pdf" -a "$CN" -a "$F/random.bin" -a "$F/data.csv" -a "$F/empty.txt" \
	'张三 <zhang@example.com>' bob@example.com
fx_is "$FX_RC" 0 "everything: exit 0"
spec=$(python3 -c 'import json,sys; f=sys.argv[1]; cn=sys.argv[2]; print(json.dumps({
 "tree": "mixed(related(alternative(text/plain,text/html),image/png,image/png),application/pdf,application/octet-stream,application/octet-stream,text/csv,application/octet-stream)",
 "subject": "来自SMTP的问候…… with a subject long enough to be folded over lines",
 "from": ["若水", "alice@example.com"],
 "to": [["张三", "zhang@example.com"], ["", "bob@example.com"]],
 "cc": [["小伙伴", "friend@example.com"], ["Smith, John", "john@example.com"]],
 "absent": ["Bcc"],
 "text": "你好，这是正文。\nSecond line with ASCII.\n",
 "html": f + "/page.html",
 "inline": [["logo.png", f + "/logo.png"], ["chart.png", f + "/chart.png"]],
 "attachments": [["report.pdf", f + "/report.pdf"], [cn.rsplit("/", 1)[1], cn],
   ["random.bin", f + "/random.bin"], ["data.csv", f + "/data.csv"], ["empty.txt", f + "/empty.txt"]],
 "lines78": True}))' "$F" "$CN")
send_ok "everything: tree, names, text, HTML and every file byte for byte" "$FX_DIR/out.eml" "$spec"
fx_unlike "$(cat "$FX_DIR/out.eml")" 'secret@example\.com' "Bcc address appears nowhere"
fx_like "$(cat "$FX_DIR/out.eml")" '^X-Mailer: quail test$' "-H header added"
fx_like "$(cat "$FX_DIR/out.eml")" '^Reply-To: list@example\.com$' "Reply-To"
fx_like "$(cat "$FX_DIR/out.eml")" "filename\\*0\\*=utf-8''" "long Chinese file name as RFC 2231 continuations"
fx_like "$(cat "$FX_DIR/out.eml")" ' name="=\?UTF-8\?B\?' "and RFC 2047 in name= for old readers"

# --- the levels left out ---------------------------------------------------------
dry "$FX_DIR/text.txt" --from a@example.com --html "$F/page.html" bob@example.com
send_ok "text + HTML: alternative only" "$FX_DIR/out.eml" \
	'{"tree": "alternative(text/plain,text/html)", "lines78": true}'
dry "$FX_DIR/text.txt" --from a@example.com -a "$F/big.bin" bob@example.com
send_ok "text + attachment: mixed, 1 MB byte for byte" "$FX_DIR/out.eml" \
	"{\"tree\": \"mixed(text/plain,application/octet-stream)\", \"attachments\": [[\"big.bin\", \"$F/big.bin\"]], \"lines78\": true}"
dry "$FX_DIR/text.txt" --from a@example.com --html "$F/page.html" --inline "$F/logo.png" bob@example.com
send_ok "HTML + inline: related(alternative, image)" "$FX_DIR/out.eml" \
	"{\"tree\": \"related(alternative(text/plain,text/html),image/png)\", \"inline\": [[\"logo.png\", \"$F/logo.png\"]]}"

# --- text that is not UTF-8 (GB2312 from an old script) -----------------------------
printf '\xc4\xe3\xba\xc3\xa3\xac\xca\xc0\xbd\xe7\xa3\xa1\xd5\xe2\xca\xc7\xd6\xd0\xce\xc4\xb5\xc4\xd3\xca\xbc\xfe\xc4\xda\xc8\xdd\xa1\xa3\n' >"$FX_DIR/gb.txt"
dry "$FX_DIR/gb.txt" --from a@example.com bob@example.com
fx_is "$FX_RC" 0 "GB2312 text: exit 0"
fx_like "$FX_ERR" 'warning: .*not UTF-8' "GB2312 text: a warning"
send_ok "GB2312 text: sent as UTF-8" "$FX_DIR/out.eml" '{"text": "你好，世界！这是中文的邮件内容。\n"}'

# --- header injection -------------------------------------------------------------
inject() { # DESC args...
	local desc=$1
	shift
	dry "$FX_DIR/text.txt" "$@"
	fx_is "$FX_RC" 64 "injection refused ($desc): exit 64"
	fx_is "$(wc -c <"$FX_DIR/out.eml")" 0 "injection refused ($desc): nothing written"
}
inject "subject" --from a@example.com -s $'hi\r\nBcc: evil@example.com' bob@example.com
inject "subject LF" --from a@example.com -s $'hi\nX-Evil: 1' bob@example.com
inject "recipient" --from a@example.com $'bob@example.com\r\nBcc: evil@example.com'
inject "cc" --from a@example.com -c $'c@example.com\nBcc: evil@example.com' bob@example.com
inject "from" --from $'a@example.com\r\nBcc: evil@example.com' bob@example.com
inject "reply-to" --from a@example.com --reply-to $'r@example.com\nX: y' bob@example.com
inject "-H value" --from a@example.com -H $'X-A: 1\r\nBcc: evil@example.com' bob@example.com
inject "-H name" --from a@example.com -H 'Bad Name: 1' bob@example.com
inject "-H Bcc" --from a@example.com -H 'Bcc: evil@example.com' bob@example.com
dry "$FX_DIR/text.txt" --from a@example.com -a /nonexistent/file bob@example.com
fx_is "$FX_RC" 66 "a missing attachment: exit 66"

# --- -t ------------------------------------------------------------------------------
printf 'From: Alice <a@example.com>\nTo: bob@example.com\nBcc: hidden@example.com\nSubject: t\n\nline\n.\n..x\nend\n' >"$FX_DIR/t.eml"
dry "$FX_DIR/t.eml" -t
fx_is "$FX_RC" 0 "-t: exit 0"
fx_unlike "$(cat "$FX_DIR/out.eml")" 'hidden@example\.com|^Bcc:' "-t: Bcc removed"
send_ok "-t: body kept, Date and Message-ID added" "$FX_DIR/out.eml" \
	'{"body_raw": "line\n.\n..x\nend\n", "subject": "t"}'
fx_like "$(cat "$FX_DIR/out.eml")" '^Message-ID: <' "-t: Message-ID added"

fx_done
