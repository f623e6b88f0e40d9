"""Drives quail's UI for compose-ui-attach.sh: m with two Attach: lines
and a Chinese subject written by the scripted editor, then y.

Usage: compose-ui-attach.py QUAIL UI_TEST_DIR FX_DIR DOMAIN SUBJECT
FILE[::DESCRIPTION]... Exits 0 when the compose screen listed every file and the send
reported success; every wait is bounded.
"""
import json
import os
import sys

sys.path.insert(0, sys.argv[2])
from harness import Term  # noqa: E402

quail, ui, fx, domain, subject = sys.argv[1:6]
# FILE or FILE::DESCRIPTION, the description in quotes on its Attach: line
args = [a.split("::", 1) for a in sys.argv[6:]]
files = [a[0] for a in args]
ed = os.path.join(fx, "editor")
os.makedirs(ed, exist_ok=True)
with open(os.path.join(ed, "mode"), "w") as f:
    # prepended lines land in the header block the editor shows
    json.dump({"set": {"To": "bob@" + domain, "Subject": subject},
               "prepend": "".join("Attach: %s%s\n" % (a[0], ' "%s"' % a[1] if len(a) > 1 else "")
                                  for a in args),
               "body": "附件是第一季度的报告。\n"}, f)
env = {"QUAIL_TEST_EDITOR_DIR": ed, "HOME": fx}
t = Term([quail, "-f", "=INBOX"], 24, 100, env=env)
try:
    t.wait(lambda t: "Lunch plans" in t.text(), 20, "the index")
    t.send("m")
    t.wait(lambda t: "-- Quail: Compose" in t.text()
           and all(os.path.basename(p) in t.text() for p in files), 10,
           "compose with both attachments")
    t.send("y")
    t.wait(lambda t: "Mail sent." in t.text(), 60, "Mail sent.")
    t.send("q")
    sys.exit(t.wait_exit(10))
except AssertionError as e:
    print(e)
    sys.exit(1)
finally:
    t.close()
