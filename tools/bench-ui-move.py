#!/usr/bin/python3
"""Times a bulk move in quail's UI: every message tagged, then `;s`.

Usage: tools/bench-ui-move.py [-n MSGS] [--runs R] [--size BYTES] DIR QUAIL [QUAIL...]

For each run and each binary in turn (so a slow spell of a shared machine
hits them all), a fresh Maildir DIR/run-K/INBOX of MSGS messages (default
2000, each padded to about BYTES, default 16000) is made, quail starts on it
in a 50x160 pty read by pyte (python3-pyte, tests/ui/harness.py), `T ~A`
tags all, `;s` moves them to DIR/run-K/Archive, and the time is taken from
the Enter that starts the move to the screen saying "Moved MSGS messages".
DIR decides the file system measured (e.g. /dev/shm/x for tmpfs, /work/x
or /tmp/x for the disk). Reported per binary: median (min-max) seconds, and
the load average. Exits 1 when a move does not finish or a message is lost.
"""
import argparse
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ui"))
from harness import Term  # noqa: E402


def make_folder(md, n, size):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    pad = ("padding line of a larger message body\n" * (size // 39 + 1))[:size]
    for i in range(n):
        with open(os.path.join(md, "cur", "%d.M%dP1.bench:2,S" % (1800000000 + i, i)), "w") as f:
            f.write("From: Sender <s@example.org>\nTo: me@example.org\nSubject: M%06d\n"
                    "Date: Mon, 2 Nov 2026 10:00:00 +0000\nMessage-ID: <m%d@example.org>\n\n%s"
                    % (i, i, pad))


def count(md):
    return sum(len(os.listdir(os.path.join(md, s))) for s in ("cur", "new")
               if os.path.isdir(os.path.join(md, s)))


def one(quail, root, n, size, timeout):
    shutil.rmtree(root, ignore_errors=True)
    md, dest, home = (os.path.join(root, x) for x in ("INBOX", "Archive", "home"))
    os.makedirs(home)
    make_folder(md, n, size)
    env = {"HOME": home, "XDG_CONFIG_HOME": home + "/.config", "XDG_CACHE_HOME": home + "/.cache"}
    t = Term([quail, "-f", md], 50, 160, env=env)
    try:
        t.wait(lambda t: "---Quail:" in t.text() and "reading" not in t.text(), 60, "the index")
        t.send("T")
        t.wait_text("Tag messages matching:", 10)
        t.send("~A\r")
        t.wait_text("Tag:%d]" % n, 30)
        t.send(";s")
        t.wait_text("Save to mailbox:", 10)
        t.send(dest)
        t.settle(0.1)
        start = time.monotonic()
        t.send("\r")
        t.wait(lambda t: "Moved %d messages" % n in t.text(), timeout, "the move")
        took = time.monotonic() - start
        t.send("q")
        t.wait_exit(30)
    finally:
        t.close()
    if count(md) != 0 or count(dest) != n:
        sys.exit("%s: %d left, %d moved of %d" % (quail, count(md), count(dest), n))
    shutil.rmtree(root, ignore_errors=True)
    return took


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", "--msgs", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size", type=int, default=16000)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("dir")
    ap.add_argument("quail", nargs="+")
    a = ap.parse_args()
    res = {q: [] for q in a.quail}
    for run in range(a.runs):
        for q in a.quail:
            s = one(os.path.abspath(q), os.path.join(a.dir, "run-%d" % run), a.msgs, a.size,
                    a.timeout)
            res[q].append(s)
            print("run %d %s: %.2f s" % (run, q, s), file=sys.stderr)
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print("move of %d messages (~%d bytes) in %s, %d runs, load %s"
          % (a.msgs, a.size, a.dir, a.runs, load))
    for q, v in res.items():
        print("%s: median %.2f s (%.2f-%.2f)" % (q, statistics.median(v), min(v), max(v)))


if __name__ == "__main__":
    main()
