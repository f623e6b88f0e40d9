"""Drives quail's UI for compose-ui-recover.sh: r, then quail killed
(SIGKILL) on the compose screen; the original is renamed by "another
program" meanwhile; a second quail recovers the draft with R and sends it
with y.

Usage: compose-ui-recover.py QUAIL UI_TEST_DIR FX_DIR DOMAIN ORIGINAL
ORIGINAL is the replied message's file; it becomes ORIGINAL with F added
to its flags between the two runs. Exits 0 when the recovered reply was
sent and its original's index row shows r; every wait is bounded.
"""
import json
import os
import sys

sys.path.insert(0, sys.argv[2])
from harness import Term  # noqa: E402

quail, ui, fx, domain, original = sys.argv[1:6]
ed = os.path.join(fx, "editor")
os.makedirs(ed, exist_ok=True)


def mode(m):
    with open(os.path.join(ed, "mode"), "w") as f:
        json.dump(m, f)


mode({"body": "Noon is fine.\n"})
env = {"QUAIL_TEST_EDITOR_DIR": ed, "HOME": fx}
t = Term([quail, "-f", "=INBOX"], 24, 100, env=env)
try:
    t.wait(lambda t: "Lunch plans" in t.text(), 20, "the index")
    t.send("r")
    t.wait(lambda t: "-- Quail: Compose" in t.text() and "Re: Lunch plans" in t.text(), 10,
           "compose (reply)")
finally:
    t.close()  # SIGKILL: nothing of quail's own runs
if t.status is None or os.WIFEXITED(t.status):
    print("quail was not killed: %r" % t.status)
    sys.exit(1)
# another program flags the original: its file name changes
os.rename(original, original.replace(":2,S", ":2,FS"))
mode({"unchanged": True})
t = Term([quail, "-f", "=INBOX"], 24, 100, env=env)
try:
    t.wait(lambda t: "1 unsent draft from an earlier run: R recovers it." in t.text(), 20,
           "the recovery note")
    t.send("R")
    t.wait(lambda t: "-- Quail: Compose" in t.text() and "Re: Lunch plans" in t.text(), 10,
           "the recovered reply")
    t.send("y")
    t.wait(lambda t: "Mail sent." in t.text(), 60, "Mail sent. (recovered reply)")
    row = [line for line in t.screen.display if "Lunch plans" in line]
    if len(row) != 1 or " r" not in row[0][:12]:
        print("no r flag in the index row: %r" % row)
        sys.exit(1)
    t.send("q")
    sys.exit(t.wait_exit(10))
except AssertionError as e:
    print(e)
    sys.exit(1)
finally:
    t.close()
