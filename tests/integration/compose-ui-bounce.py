"""Drives quail's UI for compose-ui-bounce.sh: both messages tagged, ; b
to one address, confirmed; then ; R, which is refused.

Usage: compose-ui-bounce.py QUAIL UI_TEST_DIR FX_DIR DOMAIN
Exits 0 when the screen reported both bounced and the refusal; every
wait is bounded.
"""
import os
import sys

sys.path.insert(0, sys.argv[2])
from harness import Term  # noqa: E402

quail, ui, fx, domain = sys.argv[1:5]
t = Term([quail, "-f", "=INBOX"], 24, 100, env={"HOME": fx})
try:
    t.wait(lambda t: "Lunch plans" in t.text() and "Dinner plans" in t.text(), 20, "the index")
    # the cursor starts on the newest (last) row
    t.send("t")
    t.wait(lambda t: "Tag:1" in t.text(), 5, "one message tagged")
    t.send("k")
    t.send("t")
    t.wait(lambda t: "Tag:2" in t.text(), 5, "both messages tagged")
    t.send(";b")
    t.wait(lambda t: "Bounce tagged messages to: " in t.text(), 5, "the ; b prompt")
    t.send("bob@%s\r" % domain)
    t.wait(lambda t: "Bounce tagged messages to bob@%s? ([no]/yes)" % domain in t.text(), 5,
           "the confirmation")
    t.send("y")
    t.wait(lambda t: "2 messages bounced." in t.text(), 60, "2 messages bounced.")
    t.send(";R")
    t.wait(lambda t: "R recalls one draft; ; does not apply to it." in t.text(), 5,
           "; R refused")
    t.send("q")
    sys.exit(t.wait_exit(10))
except AssertionError as e:
    print(e)
    sys.exit(1)
finally:
    t.close()
