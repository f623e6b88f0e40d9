#!/usr/bin/env python3
"""quail search against a brute-force scan (SPEC section 9).

Copies every message of samples/ and tests/fixtures/ (plus a few written
here: CJK in four legacy charsets, a large attachment, recent and undated
mail) into a Maildir with two folders and varied flags, indexes it with
quail index, reads each message with quail parse --json, and for each
query compares the files quail search --json returns with the files a
predicate over the parsed JSON selects. The predicates state the meaning
docs/SEARCH.md gives each term: full-text words are tokens (letters and
digits, case- and accent-folded; Chinese, Japanese and Korean runs match
as substrings, across the line breaks, spaces and punctuation within a
run), from:/to:/cc:/~s are ASCII case-insensitive substrings.

Output is TAP. Usage: search-compare.py QUAIL SRCDIR
"""
import base64
import datetime
import email.utils
import html.parser
import json
import mailbox
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import zlib

QUAIL, SRC = sys.argv[1], sys.argv[2]
NOW = time.time()
TIMEOUT = 60


def run(args, env, stdin=None):
    return subprocess.run(args, env=env, input=stdin, capture_output=True, timeout=TIMEOUT)


# ---- the corpus ----------------------------------------------------------

def synthetic():
    """(name, bytes) of messages this test needs and the fixtures lack."""
    def msg(frm, to, subj, charset, body, extra=b"", date=None):
        hdr = "From: %s\nTo: %s\n" % (frm, to)
        if date is not None:
            hdr += "Date: %s\n" % email.utils.formatdate(date, localtime=False)
        hdr += "Subject: =?%s?B?%s?=\n" % (charset, base64.b64encode(
            subj.encode(charset)).decode())
        hdr += "Message-ID: <%s@compare.example>\nMIME-Version: 1.0\n" % zlib.crc32(subj.encode())
        return hdr.encode() + extra + ("Content-Type: text/plain; charset=%s\n\n" % charset
                                       ).encode() + body.encode(charset) + b"\n"
    day = 86400
    out = [
        ("gb2312", msg("王伟 <wang@example.cn>", "li@example.cn", "测试邮件", "gb2312",
                       "这是一个测试，请忽略。", date=NOW - 2 * day)),
        ("sjis", msg("山田 <yamada@example.jp>", "team@example.jp", "会議のお知らせ",
                     "shift_jis", "明日の会議は十時からです。", date=NOW - 20 * day)),
        ("euckr", msg("김철수 <kim@example.kr>", "lee@example.kr", "회의 안내", "euc-kr",
                      "내일 회의가 있습니다.", date=NOW - 40 * day)),
        ("big5", msg("陳 <chen@example.tw>", "lin@example.tw, Bob Smith <bob@example.com>",
                     "會議記錄", "big5", "本週會議記錄請參閱。", date=NOW - 3 * day,
                     extra=b"Cc: carol@example.net\n")),
        # Hard-wrapped Japanese: a word cut by the line break.
        ("wrapped", msg("佐藤 <sato@example.jp>", "team@example.jp", "延期", "iso-2022-jp",
                        "来週の打ち合\nわせは延期です。", date=NOW - 5 * day)),
        ("undated", msg("Nobody <nobody@example.org>", "bob@example.com",
                        "no date at all", "utf-8", "quarterly numbers without a date")),
    ]
    big = ("From: Bob Smith <bob@example.com>\nTo: alice@example.org\n"
           "Date: %s\nSubject: quarterly report with data\nMessage-ID: <big@compare.example>\n"
           "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
           "Content-Type: text/plain\n\nThe quarterly report is attached.\n--b\n"
           "Content-Type: application/octet-stream\n"
           "Content-Disposition: attachment; filename=\"data-2026.bin\"\n"
           "Content-Transfer-Encoding: base64\n\n" % email.utils.formatdate(NOW - day))
    big += ("QUJD" * 19 + "\n") * 16000 + "--b--\n"
    out.append(("big", big.encode()))
    return out


def build_maildir(root):
    """Fills root/INBOX and root/Work; returns the list of file paths."""
    sources = []
    for d in ("tests/fixtures/mime", "tests/fixtures/html"):
        for f in sorted(os.listdir(os.path.join(SRC, d))):
            if f.endswith(".eml"):
                with open(os.path.join(SRC, d, f), "rb") as fh:
                    sources.append((f, fh.read()))
    mb = mailbox.mbox(os.path.join(SRC, "samples", "inbox.mbox"), create=False)
    for i, key in enumerate(mb.keys()):
        sources.append(("sample%d" % i, mb.get_bytes(key)))
    sources += synthetic()
    # Flags in turn: read, flagged, replied, new, old, trashed, draft.
    kinds = [("cur", "S"), ("cur", "FS"), ("cur", "RS"), ("new", ""), ("cur", ""),
             ("cur", "ST"), ("cur", "DS")]
    paths = []
    for i, (name, data) in enumerate(sources):
        folder = "Work" if i % 3 == 0 else "INBOX"
        sub, flags = kinds[i % len(kinds)]
        base = "%d.%d.compare" % (1000000 + i, i)
        fn = base if sub == "new" else base + ":2," + flags
        p = os.path.join(root, folder, sub, fn)
        with open(p, "wb") as fh:
            fh.write(data)
        paths.append(p)
    return paths


# ---- what quail parse says, as searchable facts --------------------------

def is_cjk(c):
    o = ord(c)
    return (0x1100 <= o <= 0x11FF or 0x2E80 <= o <= 0x2FDF or o in (0x3005, 0x3007) or
            0x3040 <= o <= 0x30FF or 0x3130 <= o <= 0x318F or 0x31F0 <= o <= 0x31FF or
            0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xA960 <= o <= 0xA97F or
            0xAC00 <= o <= 0xD7FF or 0xF900 <= o <= 0xFAFF or 0xFF66 <= o <= 0xFF9F or
            0x20000 <= o <= 0x3FFFF)


def fold(s):
    s = unicodedata.normalize("NFKD", s.lower())
    return "".join(c for c in s if not unicodedata.combining(c))


def tokens(text):
    """(words, cjk runs) the way the index's tokenizer sees text: a run
    of CJK characters goes on over what is neither a letter nor a digit
    (a line break in hard-wrapped Japanese, a space, punctuation), as the
    index's tokens for it stand at consecutive positions."""
    words, runs, cur, run = [], [], [], []
    for c in text or "":
        if is_cjk(c):
            run.append(c)
            if cur:
                words.append("".join(cur))
                cur = []
            continue
        if unicodedata.category(c)[0] in "LN":
            if run:
                runs.append("".join(run))
                run = []
            cur.append(c)
        elif cur:
            words.append("".join(cur))
            cur = []
    if cur:
        words.append("".join(cur))
    if run:
        runs.append("".join(run))
    return [fold(w) for w in words], runs


class HTMLText(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        self.out.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title") and self.skip:
            self.skip -= 1
        self.out.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def leaves(part):
    if "message" in part:
        yield from leaves(part["message"]["body"])
    elif "parts" in part:
        for p in part["parts"]:
            yield from leaves(p)
    else:
        yield part


def addr_text(lst):
    return " ".join("%s %s" % (a.get("name") or "", a.get("address") or "") for a in lst or [])


def addr_list(lst):
    return ", ".join(("%s <%s>" % (a["name"], a["address"])) if a.get("name") and
                     a.get("address") else (a.get("name") or a.get("address") or "")
                     for a in lst or [])


class Msg:
    def __init__(self, path, j):
        self.path = os.path.realpath(path)
        base = os.path.basename(path)
        self.folder = os.path.basename(os.path.dirname(os.path.dirname(path)))
        self.is_new = os.path.basename(os.path.dirname(path)) == "new"
        self.flags = base.split(":2,")[1] if ":2," in base else ""
        self.size = os.path.getsize(path)
        self.subject = j.get("subject") or ""
        self.message_id = j.get("message_id")
        frm = j.get("from") or []
        self.from_name = (frm[0].get("name") or "") if frm else ""
        self.from_addr = (frm[0].get("address") or "") if frm else ""
        self.to_list = addr_list(j.get("to"))
        self.cc_list = addr_list(j.get("cc"))
        self.date = (datetime.datetime.fromisoformat(j["date"]).timestamp()
                     if j.get("date") else None)
        body, names, self.attach = [], [], False
        for lf in leaves(j["body"]):
            ct = lf.get("content_type", "")
            if ct.startswith("multipart/"):
                continue  # past the depth limit: an opaque part, no attachment
            if lf.get("filename"):
                names.append(lf["filename"])
            if (lf.get("disposition") == "attachment" or lf.get("filename") is not None or
                    not ct.startswith("text/")):
                self.attach = True
            if ct.startswith("text/") and lf.get("disposition") != "attachment" and \
                    "text" in lf:
                if ct == "text/html":
                    h = HTMLText()
                    h.feed(lf["text"])
                    body.append("".join(h.out))
                else:
                    body.append(lf["text"])
        self.cols = {
            "subject": tokens(self.subject),
            "sender": tokens(addr_text(frm)),
            "recipients": tokens(addr_text(j.get("to")) + " " + addr_text(j.get("cc"))),
            "filenames": tokens("\n".join(names)),
            "body": tokens("\n".join(body)),
        }


# ---- predicates: the meaning of each term --------------------------------

ALL_COLS = ("subject", "sender", "recipients", "filenames", "body")


def text(phrase, cols=ALL_COLS, prefix=False):
    """A full-text phrase: consecutive tokens in one column; a CJK-only
    phrase: a substring of one CJK run (as tokens() has them)."""
    qw, qr = tokens(phrase)

    def match(m):
        for c in cols:
            words, runs = m.cols[c]
            if qr and not qw:
                if any(qr[0] in r for r in runs):
                    return True
                continue
            n = len(qw)
            for i in range(len(words) - n + 1):
                if words[i:i + n - 1] == qw[:-1] and (
                        words[i + n - 1].startswith(qw[-1]) if prefix
                        else words[i + n - 1] == qw[-1]):
                    return True
        return False
    return match


def sub(field, s):
    s = s.lower()
    if field == "from":
        return lambda m: s in m.from_name.lower() or s in m.from_addr.lower()
    return lambda m: s in getattr(m, field).lower()


def flag(ch, on=True):
    return lambda m: (ch in m.flags) == on


def local_day(days_ago):
    t = time.localtime(NOW - days_ago * 86400)
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1))


def since(t):
    return lambda m: m.date is not None and m.date >= t


def before(t):
    return lambda m: m.date is not None and m.date < t


def both(*ps):
    return lambda m: all(p(m) for p in ps)


def either(*ps):
    return lambda m: any(p(m) for p in ps)


def no(p):
    return lambda m: not p(m)


def ymd(y, mo, d):
    return time.mktime((y, mo, d, 0, 0, 0, 0, 0, -1))


QUERIES = [
    # CJK in the four legacy charsets, and in the fixtures' UTF-8
    ("测试", text("测试")),
    ("会議", text("会議")),
    ("회의", text("회의")),
    ("會議", text("會議")),
    ("會議記錄", text("會議記錄")),
    ("打ち合わせ", text("打ち合わせ")),
    ("subject:测试", text("测试", ("subject",))),
    # words, phrases, prefixes
    ("quarterly", text("quarterly")),
    ("quarterly report", both(text("quarterly"), text("report"))),
    ('"quarterly report"', text("quarterly report")),
    ("report*", text("report", prefix=True)),
    ("subject:report", text("report", ("subject",))),
    ("body:attached", text("attached", ("body",))),
    ("filename:pdf", text("pdf", ("filenames",))),
    ("filename:data-2026.bin", text("data-2026.bin", ("filenames",))),
    # addresses
    ("from:bob@example.com", sub("from", "bob@example.com")),
    ("from:example.cn", sub("from", "example.cn")),
    ("~f YAMADA", sub("from", "yamada")),
    ("to:bob", sub("to_list", "bob")),
    ("cc:carol", sub("cc_list", "carol")),
    ("~c example", sub("cc_list", "example")),
    ("~s report", sub("subject", "report")),
    ("~s FWD", sub("subject", "fwd")),
    ("~s lunch", sub("subject", "lunch")),
    ("cafe", text("cafe")),
    ("crème brûlée", both(text("crème"), text("brûlée"))),
    ('subject:"the plan"', text("the plan", ("subject",))),
    ("id:<big@compare.example>", lambda m: m.message_id == "big@compare.example"),
    # flags, folders, attachments, sizes
    ("is:unread", flag("S", False)),
    ("is:flagged", flag("F")),
    ("is:replied", flag("R")),
    ("is:deleted", flag("T")),
    ("is:draft", flag("D")),
    ("~N", lambda m: m.is_new and "S" not in m.flags),
    ("~O", lambda m: not m.is_new and "S" not in m.flags),
    ("folder:Work", lambda m: m.folder == "Work"),
    ("has:attachment", lambda m: m.attach),
    ("size:>1M", lambda m: m.size > 1 << 20),
    ("size:<2k", lambda m: m.size < 2048),
    ("~z 1k-4k", lambda m: 1024 <= m.size <= 4096),
    # dates (local time)
    ("date:7d..", since(NOW - 7 * 86400)),
    ("date:..2010-01-01", before(ymd(2010, 1, 2))),
    ("date:2000..2019", both(since(ymd(2000, 1, 1)), before(ymd(2020, 1, 1)))),
    ("~d <10d", since(NOW - 10 * 86400)),
    ("~d >30d", before(NOW - 30 * 86400)),
    ("~d 01/01/2015-", since(ymd(2015, 1, 1))),
    ("NOT date:1970..2100", lambda m: m.date is None or not (
        ymd(1970, 1, 1) <= m.date < ymd(2101, 1, 1))),
    # duplicates and ids
    ("~=", None),
    # boolean combinations and mutt mixed in
    ("quarterly OR 会議", either(text("quarterly"), text("会議"))),
    ("quarterly -report", both(text("quarterly"), no(text("report")))),
    ("from:example ~F", both(sub("from", "example"), flag("F"))),
    ("is:read AND NOT (from:alice OR to:alice)",
     both(flag("S"), no(sub("from", "alice")), no(sub("to_list", "alice")))),
    ("~F | ~D", either(flag("F"), flag("T"))),
    ("!~F is:unread folder:INBOX", both(no(flag("F")), flag("S", False),
                                        lambda m: m.folder == "INBOX")),
    ("(report OR attached) NOT has:attachment",
     both(either(text("report"), text("attached")), lambda m: not m.attach)),
    ("~h example", text("example", ("subject", "sender", "recipients"))),
    ("~b 会議 OR ~s 测试", either(text("会議", ("body",)), sub("subject", "测试"))),
]


def duplicates(msgs):
    seen = {}
    for m in msgs:
        if m.message_id:
            seen[m.message_id] = seen.get(m.message_id, 0) + 1
    return lambda m: bool(m.message_id) and seen[m.message_id] > 1


def main():
    if not shutil.which(QUAIL) and not os.access(QUAIL, os.X_OK):
        print("1..0 # SKIP quail not found")
        return 77
    tmp = tempfile.mkdtemp(prefix="quail-search-compare.")
    try:
        return compare(tmp)
    finally:
        if not os.environ.get("FX_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)


def compare(tmp):
    env = dict(os.environ, XDG_CACHE_HOME=tmp + "/cache", HOME=tmp + "/home",
               QUAIL_CONFIG=tmp + "/none.conf", LC_ALL="C.UTF-8")
    os.makedirs(env["HOME"])
    open(env["QUAIL_CONFIG"], "w").close()
    root = tmp + "/Mail"
    for f in ("INBOX", "Work"):
        for s in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(root, f, s))
    paths = build_maildir(root)

    r = run([QUAIL, "index", root], env)
    if r.returncode != 0:
        print("Bail out! quail index: %s" % r.stderr.decode(errors="replace"))
        return 1
    msgs = []
    for p in paths:
        r = run([QUAIL, "parse", "--json"], env, stdin=open(p, "rb").read())
        lines = r.stdout.decode().splitlines()
        if r.returncode == 0 and len(lines) == 1:
            msgs.append(Msg(p, json.loads(lines[0])))
    print("# %d files, %d compared" % (len(paths), len(msgs)))
    known = {m.path for m in msgs}
    n = failed = 0
    for q, pred in QUERIES:
        if pred is None:
            pred = duplicates(msgs)
        want = {m.path for m in msgs if pred(m)}
        r = run([QUAIL, "search", "--json", "--limit", "100000", q], env)
        n += 1
        if r.returncode != 0:
            failed += 1
            print("not ok %d - %s: exit %d %s" % (n, q, r.returncode,
                                                   r.stderr.decode(errors="replace").strip()))
            continue
        got = {os.path.realpath(json.loads(l)["path"]) for l in r.stdout.decode().splitlines()}
        got &= known
        if got == want:
            print("ok %d - %s (%d)" % (n, q, len(want)))
            continue
        failed += 1
        print("not ok %d - %s" % (n, q))
        for p in sorted(want - got):
            print("#   missing %s" % os.path.basename(p))
        for p in sorted(got - want):
            print("#   extra   %s" % os.path.basename(p))
    # The comparison means little if the queries select nothing.
    n += 1
    empty = sum(1 for q, pred in QUERIES if pred and not any(pred(m) for m in msgs))
    if empty > 5:
        failed += 1
        print("not ok %d - most queries select something (%d select nothing)" % (n, empty))
    else:
        print("ok %d - most queries select something (%d select nothing)" % (n, empty))
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
