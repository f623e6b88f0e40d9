"""compose-ui.sh's check: DELIVERED, after the trace fields the delivery
added in front (Return-Path, Delivered-To, Received, X-Original-To), is
byte for byte one of the copies in the Maildir SENT (line ends as LF).

Usage: compose-ui-sent.py DELIVERED SENT. Exits 0 when it is, else 1
with both shown.
"""
import os
import sys

TRACE = (b"return-path:", b"delivered-to:", b"received:", b"x-original-to:")

with open(sys.argv[1], "rb") as f:
    lines = f.read().replace(b"\r\n", b"\n").split(b"\n")
i = 0
while i < len(lines) and (lines[i].lower().startswith(TRACE) or
                          (i > 0 and lines[i][:1] in (b" ", b"\t"))):
    i += 1
rest = b"\n".join(lines[i:])
sent = []
for sub in ("cur", "new"):
    d = os.path.join(sys.argv[2], sub)
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        with open(os.path.join(d, name), "rb") as f:
            sent.append(f.read().replace(b"\r\n", b"\n"))
if rest in sent:
    sys.exit(0)
print("delivered, after the trace fields:\n%r" % rest[:800])
for s in sent:
    print("a copy in Sent:\n%r" % s[:800])
sys.exit(1)
