#!/usr/bin/env python3
"""A deterministic editor for the compose tests.

Run as `fake_editor.py FILE`. What it does comes from the JSON file
$QUAIL_TEST_EDITOR_DIR/mode: {"set": {"To": ..., "Subject": ...}, "body":
text appended, "exit": status, "unchanged": true, "sleep": seconds,
"prepend": text put first, "sigint": true}. Every call copies the
file it got to got-N and records its path and modes in info-N (N counts
from 0), for the test to read.
"""
import json
import os
import signal
import sys
import time


def main():
    path = sys.argv[-1]
    d = os.environ["QUAIL_TEST_EDITOR_DIR"]
    with open(os.path.join(d, "mode")) as f:
        mode = json.load(f)
    n = len([x for x in os.listdir(d) if x.startswith("got-")])
    with open(path, "rb") as f:
        data = f.read()
    with open(os.path.join(d, "got-%d" % n), "wb") as f:
        f.write(data)
    info = {"path": path, "mode": os.stat(path).st_mode & 0o777,
            "dirmode": os.stat(os.path.dirname(path)).st_mode & 0o777}
    with open(os.path.join(d, "info-%d" % n), "w") as f:
        json.dump(info, f)
    if mode.get("sigint"):
        # ^C typed in the editor: the terminal signals the whole group
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        os.killpg(os.getpgrp(), signal.SIGINT)
    if mode.get("sleep"):
        time.sleep(mode["sleep"])  # the test resizes the terminal meanwhile
    if mode.get("exit"):
        sys.exit(mode["exit"])
    if mode.get("unchanged"):
        return
    text = data.decode("utf-8")
    if "set" in mode:
        head, sep, body = text.partition("\n\n")
        lines = head.split("\n") if head else []
        for name, value in mode["set"].items():
            for i, line in enumerate(lines):
                if line.lower().startswith(name.lower() + ":"):
                    lines[i] = "%s: %s" % (name, value)
                    break
            else:
                lines.append("%s: %s" % (name, value))
        text = "\n".join(lines) + "\n\n" + body
    text = mode.get("prepend", "") + text + mode.get("body", "")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
