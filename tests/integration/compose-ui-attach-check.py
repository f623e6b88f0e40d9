"""Checks a message as Dovecot stored it, byte by byte where it matters.

Usage: compose-ui-attach-check.py MESSAGE SUBJECT TEXT FILE[::DESCRIPTION]...
MESSAGE is the delivered Maildir file. The Subject must be encoded words
(RFC 2047) that decode to SUBJECT; the body multipart/mixed of one
text/plain part (decoding to TEXT) and one part per FILE in order, each
base64 (RFC 2045 §6.8) whose strictly decoded bytes equal the file, with
the file name as RFC 2231 filename* in Content-Disposition and as encoded
words in Content-Type's name, and the DESCRIPTION given (only that) as
Content-Description. Prints what differs; exits 1 if anything
does.
"""
import base64
import email
import email.header
import email.policy
import email.utils
import os
import re
import sys

path, subject, text = sys.argv[1:4]
args = [a.split("::", 1) for a in sys.argv[4:]]
files = [a[0] for a in args]
descs = [a[1] if len(a) > 1 else None for a in args]
data = open(path, "rb").read()
bad = []


def ew_decode(raw):
    """RFC 2047 words (and plain text between them) to a str."""
    return str(email.header.make_header(email.header.decode_header(raw)))


def unfold(v):
    return re.sub(r"\r?\n[ \t]", " ", v)


head = data.split(b"\n\n", 1)[0].decode("ascii")  # 8-bit would be a failure
m = email.message_from_bytes(data, policy=email.policy.compat32)
raw_subject = unfold(m["Subject"] or "")
if "=?" not in raw_subject:
    bad.append("Subject is not encoded words: %r" % raw_subject)
if ew_decode(raw_subject) != subject:
    bad.append("Subject decodes to %r, want %r" % (ew_decode(raw_subject), subject))
if m.get_content_type() != "multipart/mixed":
    bad.append("top type %s, want multipart/mixed" % m.get_content_type())
parts = m.get_payload() if m.is_multipart() else []
if len(parts) != 1 + len(files):
    bad.append("%d parts, want %d" % (len(parts), 1 + len(files)))
if parts:
    t = parts[0]
    if t.get_content_type() != "text/plain" or t.get("Content-Disposition"):
        bad.append("first part %s, want inline text/plain" % t.get_content_type())
    got = t.get_payload(decode=True).replace(b"\r\n", b"\n").decode("utf-8", "replace")
    if got != text:
        bad.append("text %r, want %r" % (got, text))
for p, src, desc in zip(parts[1:], files, descs):
    name = os.path.basename(src)
    # RFC 2045 §8: Content-Description, RFC 2047 words when not ASCII
    raw_desc = p.get("Content-Description")
    if desc is None and raw_desc is not None:
        bad.append("%s: Content-Description %r, want none" % (name, raw_desc))
    if desc is not None:
        raw_desc = unfold(raw_desc or "")
        if any(ord(c) > 127 for c in desc) and "=?" not in raw_desc:
            bad.append("%s: Content-Description not encoded words: %r" % (name, raw_desc))
        if ew_decode(raw_desc) != desc:
            bad.append("%s: Content-Description %r decodes to %r, want %r"
                       % (name, raw_desc, ew_decode(raw_desc), desc))
    cte = (p.get("Content-Transfer-Encoding") or "").strip().lower()
    if cte != "base64":
        bad.append("%s: Content-Transfer-Encoding %r, want base64" % (name, cte))
    raw = re.sub(rb"\r?\n", b"", p.get_payload().encode("ascii"))
    try:
        got = base64.b64decode(raw, validate=True)
    except ValueError as e:
        bad.append("%s: base64 does not decode: %s" % (name, e))
        got = None
    if got is not None and got != open(src, "rb").read():
        bad.append("%s: decoded bytes differ from the file" % name)
    cd = unfold(p.get("Content-Disposition") or "")
    if not cd.lower().startswith("attachment"):
        bad.append("%s: Content-Disposition %r" % (name, cd))
    # RFC 2231 §4: filename*=utf-8''percent-encoded (or split in *0*, *1*)
    fn = p.get_param("filename", header="content-disposition")
    if isinstance(fn, tuple):
        fn = email.utils.collapse_rfc2231_value(fn)
    if fn != name:
        bad.append("%s: Content-Disposition filename %r" % (name, fn))
    if any(ord(c) > 127 for c in name) and "filename*" not in cd:
        bad.append("%s: no RFC 2231 filename*: %r" % (name, cd))
    ctn = p.get_param("name")
    if isinstance(ctn, tuple):
        ctn = email.utils.collapse_rfc2231_value(ctn)
    if ctn is None or ew_decode(ctn) != name:
        bad.append("%s: Content-Type name %r" % (name, ctn))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
