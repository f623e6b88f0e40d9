#!/bin/bash
# quail index and quail search (SPEC §9) with the real binary: index the
# MIME fixtures and the sample mbox, search them (words, CJK, JSON keys,
# bad queries), change files and index again (new, changed, gone), and
# keep the index right while another process delivers during a run.
. "$(dirname "$0")/lib.sh"

[ -n "${QUAIL:-}" ] && [ -x "$QUAIL" ] || fx_skip_all "QUAIL is not set"
timeout 10 "$QUAIL" index --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no index command"
command -v python3 >/dev/null 2>&1 || fx_skip_all "python3 is missing"
fx_init
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export XDG_CACHE_HOME=$FX_DIR/cache
export HOME=$FX_DIR/home
export QUAIL_CONFIG=$FX_DIR/none.conf
mkdir -p "$HOME"
: >"$QUAIL_CONFIG"
M=$FX_DIR/Mail
mkdir -p "$M/INBOX/cur" "$M/INBOX/new" "$M/INBOX/tmp" "$M/Work/cur" "$M/Work/new" "$M/Work/tmp"

n=0
for f in "$SRC"/tests/fixtures/mime/*.eml; do
	n=$((n + 1))
	cp "$f" "$M/INBOX/cur/100$n.fixture:2,S"
done
# msg DIR NAME SUBJECT BODY [HEADERS [TIME]]: a small UTF-8 message
msg() {
	printf 'From: Zhang San <zhang@example.cn>\nTo: Li Si <li@example.cn>\nSubject: %s\nDate: Tue, 6 Jan 2026 %s +0800\nMessage-ID: <%s@example.cn>\n%sContent-Type: text/plain; charset=utf-8\n\n%s\n' \
		"$3" "${6:-09:00:00}" "$2" "${5:-}" "$4" >"$1/$2"
}
msg "$M/Work/new" 2001.cjk "会议通知" "明天下午三点开会，请准时参加。会議の資料を送ります。"
msg "$M/Work/new" 2002.cjk "Re: 会议通知" "好的，我会参加。" "In-Reply-To: <2001.cjk@example.cn>
" 10:30:00
msg "$M/Work/cur" 2003.plain:2, "quarterly numbers" "The zebra report is attached below."
MBOX=$FX_DIR/inbox.mbox
cp "$SRC/samples/inbox.mbox" "$MBOX"
nmbox=$(grep -c '^From ' "$MBOX")
total=$((n + 3 + nmbox))

fx_run -t 120 "$QUAIL" index "$M" "$MBOX"
fx_is "$FX_RC" 0 "index exits 0"
fx_like "$FX_OUT" "^indexed $total messages \\($total new, 0 changed, 0 gone\\) in [0-9.]+ s\$" \
	"index counts every message as new"
fx_run "$QUAIL" index "$M" "$MBOX"
fx_like "$FX_OUT" "^indexed $total messages \\(0 new, 0 changed, 0 gone\\)" "a second run finds nothing to do"

# count QUERY...: messages found (search also brings the index up to date,
# over the default paths: none here, so it only reads)
count() {
	fx_run "$QUAIL" search "$@"
	printf '%s' "$FX_OUT" | grep -c .
}
fx_is "$(count zebra)" 1 "a word of a body"
fx_is "$(count -f Work 会议)" 2 "a Chinese word in subjects and bodies"
fx_is "$(count 开会)" 1 "a Chinese word inside a sentence"
fx_is "$(count 資料)" 1 "a Japanese word"
fx_is "$(count -f Work 议)" 2 "a single Han character"
fx_is "$(count 'from:zhang@example.cn' AND zebra)" 1 "from: with AND"
fx_is "$(count -f "$M/Work" is:unread)" 3 "-f with a path and is:unread"
fx_is "$(count -f Work subject:会议通知)" 2 "-f with a folder name"
fx_run "$QUAIL" search --limit 1 -f Work 会议
fx_is "$(printf '%s\n' "$FX_OUT" | grep -c .)" 1 "--limit"
fx_like "$FX_OUT" '^2026-01-06 [0-9]{2}:[0-9]{2}  Zhang San +  Re: 会议通知  \[Work\]$' \
	"a line is date, sender, subject, folder (newest first)"

fx_run "$QUAIL" search --json -f Work subject:会议通知
FX_JSON=$FX_OUT python3 - <<'PY'
import json, os
lines = os.environ["FX_JSON"].splitlines()
assert len(lines) == 2, lines
keys = ["path", "folder", "date", "from", "to", "subject", "message_id", "thread", "flags", "size"]
objs = [json.loads(l) for l in lines]
for o in objs:
    assert list(o) == keys, list(o)
    assert o["from"] == [{"name": "Zhang San", "address": "zhang@example.cn"}], o["from"]
    assert o["to"] == [{"name": "Li Si", "address": "li@example.cn"}], o["to"]
    assert os.path.isfile(o["path"]), o["path"]
    assert o["flags"] == [], o["flags"]
assert objs[0]["thread"] == objs[1]["thread"], "a reply is in its parent's thread"
assert {o["message_id"] for o in objs} == {"2001.cjk@example.cn", "2002.cjk@example.cn"}
assert [o["date"] for o in objs] == ["2026-01-06T02:30:00+00:00", "2026-01-06T01:00:00+00:00"], \
    "newest first, in UTC"
PY
fx_is "$?" 0 "--json: the SPEC's keys, addresses, threads, ids"

fx_run "$QUAIL" search 'subject:(foo'
fx_is "$FX_RC" 64 "a bad query exits 64"
fx_like "$FX_ERR" 'position [0-9]+' "the error names the position"
fx_run "$QUAIL" index "$FX_DIR/nothing-here"
fx_is "$FX_RC" 66 "a missing path exits 66"
XDG_CACHE_HOME=$FX_DIR/cache-none fx_run "$QUAIL" index "$FX_DIR/nothing-here"
fx_is "$FX_RC" 66 "a missing path with no index exits 66"
fx_is "$([ -e "$FX_DIR/cache-none" ] && echo made || echo none)" none \
	"a missing path creates no index"
# One missing path among others: said, left out, the rest indexed.
XDG_CACHE_HOME=$FX_DIR/cache-some fx_run "$QUAIL" index "$FX_DIR/nothing-here" "$M/Work"
fx_is "$FX_RC" 66 "a missing path among others exits 66"
fx_like "$FX_ERR" "nothing-here" "the missing path is named"
fx_like "$FX_OUT" "^indexed [1-9][0-9]* messages \\([1-9][0-9]* new" "the other path is indexed"

# Hostile header bytes never reach the terminal raw.
printf 'From: "evil\033[2J" <e@x>\nSubject: =?utf-8?q?bad=1B]0;title=07?=\nMessage-ID: <esc@x>\n\nescape test\n' \
	>"$M/Work/cur/2004.esc:2,"
fx_run "$QUAIL" index "$M"
fx_run "$QUAIL" search escape
fx_unlike "$FX_OUT" $'\033' "escape characters are shown escaped"
fx_like "$FX_OUT" '\\e' "as \\e"

# --- changes ------------------------------------------------------------------
mv "$M/Work/new/2001.cjk" "$M/Work/cur/2001.cjk:2,FS"
rm "$M/Work/cur/2003.plain:2,"
msg "$M/Work/new" 2005.new "new one" "a fresh walrus arrives"
fx_run "$QUAIL" index "$M"
fx_like "$FX_OUT" "^indexed $((n + 4)) messages \\(1 new, 1 changed, 1 gone\\)" \
	"a rename is changed, a removal gone, a delivery new"
fx_is "$(count zebra)" 0 "the removed message is not found"
fx_is "$(count walrus)" 1 "the new message is found"
fx_is "$(count is:flagged)" 1 "the flag change is seen"
fx_is "$(count -f Work is:unread)" 3 "unread after the rename"

# --- a delivery during a run --------------------------------------------------
B=$FX_DIR/Bulk
mkdir -p "$B/cur" "$B/new" "$B/tmp"
for i in $(seq 1 400); do msg "$B/cur" "3$i.bulk:2,S" "bulk $i" "bulk body number $i"; done
(
	for i in $(seq 1 200); do
		msg "$B/tmp" "4$i.late" "late $i" "late delivery llama $i"
		mv "$B/tmp/4$i.late" "$B/new/4$i.late"
	done
) &
writer=$!
fx_run -t 120 "$QUAIL" index "$B"
first=$FX_RC
wait "$writer"
fx_is "$first" 0 "an index run during deliveries succeeds"
fx_run -t 120 "$QUAIL" index "$B"
fx_like "$FX_OUT" "^indexed 600 messages" "the next run has every delivered message"
fx_is "$(count -f "$B" llama)" 200 "each late delivery found once"
fx_run "$QUAIL" index "$B"
fx_like "$FX_OUT" "\\(0 new, 0 changed, 0 gone\\)" "and then nothing is left to do"

# Two index runs at once share the database safely.
rm -rf "$XDG_CACHE_HOME"
"$QUAIL" index "$M" >"$FX_DIR/a.out" 2>&1 &
pa=$!
"$QUAIL" index "$B" >"$FX_DIR/b.out" 2>&1
rb=$?
wait "$pa"
ra=$?
fx_is "$ra/$rb" "0/0" "two concurrent index runs both succeed"
fx_run "$QUAIL" index "$M" "$B"
fx_like "$FX_OUT" "^indexed $((n + 4 + 600)) messages \\(0 new" "and leave a complete index"

# --progress-fd: lines "DONE TOTAL" for a program that runs quail index
# (the UI's update runs so, index_child.c), then "DONE TOTAL text" for the
# second pass, the messages' text.
rm -rf "$XDG_CACHE_HOME"
"$QUAIL" index --progress-fd 3 "$B" 3>"$FX_DIR/progress" >"$FX_DIR/p.out" 2>&1
fx_is "$?" 0 "index with --progress-fd exits 0"
fx_is "$(head -n 1 "$FX_DIR/progress")" "0 600" "the first progress line: none of 600 yet"
fx_is "$(grep -cvE '^[0-9]+ 600( text)?$' "$FX_DIR/progress")" 0 \
	"every progress line is DONE TOTAL, or DONE TOTAL text"
fx_is "$(grep -m 1 -n ' text$' "$FX_DIR/progress")" "2:0 600 text" \
	"the text comes after the rows: its first line second"
fx_is "$(grep -c ' text$' "$FX_DIR/progress")" 1 "one text line for 600 messages"
fx_like "$(cat "$FX_DIR/p.out")" "^indexed 600 messages" "the summary still on stdout"
fx_run "$QUAIL" index --progress-fd 57 "$B"
fx_is "$FX_RC" 64 "--progress-fd of a closed descriptor exits 64"
fx_run "$QUAIL" index --progress-fd x "$B"
fx_is "$FX_RC" 64 "--progress-fd of a word exits 64"

# SIGTERM (and ^C) stop a run at its next message: exit 75, the index
# consistent, the next run completes it.
S=$FX_DIR/Stop
mkdir -p "$S/cur" "$S/new" "$S/tmp"
python3 - "$S/cur" <<'PY'
import sys
for i in range(6000):
    with open("%s/%d.stop:2,S" % (sys.argv[1], 5000000 + i), "w") as f:
        f.write("From: a@example.org\nSubject: stop %d\nMessage-ID: <s%d@x>\n\n"
                "stopword body %d of a run stopped half way\n" % (i, i, i))
PY
rm -rf "$XDG_CACHE_HOME"
python3 - "$QUAIL" "$S" <<'PY'
import os, signal, subprocess, sys, time
r, w = os.pipe()
p = subprocess.Popen([sys.argv[1], "index", "--progress-fd", str(w), sys.argv[2]],
                     pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(w)
f = os.fdopen(r)
first = f.readline()
assert first == "0 6000\n", first
p.send_signal(signal.SIGTERM)
t = time.monotonic()
rc = p.wait(timeout=30)
assert rc == 75, rc
assert time.monotonic() - t < 10, "slow to stop"
PY
fx_is "$?" 0 "SIGTERM stops a run: exit 75"
fx_run -t 120 "$QUAIL" index "$S"
fx_is "$FX_RC" 0 "the next run succeeds"
fx_is "$(count stopword)" 6000 "and the index holds each message once"

fx_done
