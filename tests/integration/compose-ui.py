"""Drives quail's UI for compose-ui.sh: m, then r, each sent with y.

Usage: compose-ui.py QUAIL UI_TEST_DIR FX_DIR DOMAIN. Exits 0 when both
sends reported success on the screen; every wait is bounded.
"""
import json
import os
import sys

sys.path.insert(0, sys.argv[2])
from harness import Term  # noqa: E402

quail, ui, fx, domain = sys.argv[1:5]
ed = os.path.join(fx, "editor")
os.makedirs(ed, exist_ok=True)


def mode(m):
    with open(os.path.join(ed, "mode"), "w") as f:
        json.dump(m, f)


mode({"set": {"To": "bob@" + domain, "Subject": "Hello Bob"}, "body": "Hi Bob,\nsee you.\n"})
env = {"QUAIL_TEST_EDITOR_DIR": ed, "HOME": fx}
t = Term([quail, "-f", "=INBOX"], 24, 100, env=env)
try:
    t.wait(lambda t: "Lunch plans" in t.text(), 20, "the index")
    t.send("m")
    t.wait(lambda t: "-- Quail: Compose" in t.text() and "Hello Bob" in t.text(), 10, "compose")
    t.send("y")
    t.wait(lambda t: "Mail sent." in t.text(), 60, "Mail sent. (new message)")
    mode({"body": "Noon is fine.\n"})
    t.send("r")
    t.wait(lambda t: "-- Quail: Compose" in t.text() and "Re: Lunch plans" in t.text(), 10,
           "compose (reply)")
    t.send("y")
    t.wait(lambda t: "Mail sent." in t.text(), 60, "Mail sent. (reply)")
    # the index row of the original shows the replied flag at once
    row = [line for line in t.screen.display if "Lunch plans" in line]
    if len(row) != 1 or " r " not in row[0][:12]:
        print("no r flag in the index row: %r" % row)
        sys.exit(1)
    t.send("q")
    sys.exit(t.wait_exit(10))
except AssertionError as e:
    print(e)
    sys.exit(1)
finally:
    t.close()
