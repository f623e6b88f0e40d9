#!/usr/bin/python3
"""Times what new mail costs quail's UI thread in a big open folder.

Usage: tools/bench-ui-newmail.py [--messages N] [--deliveries K] QUAIL WORKDIR

Steps:
 1. WORKDIR/INBOX is filled with N small messages (default 100,000) unless
    it holds them already from an earlier run (it is reused: the files are
    many); WORKDIR/home is HOME. Nothing is written anywhere else.
 2. quail -f WORKDIR/INBOX starts in a pty read by pyte (python3-pyte,
    tests/ui/harness.py) with QUAIL_UI_TRACE=WORKDIR/trace.txt; the script
    waits for the folder to be read.
 3. K messages (default 5) are delivered into new/ (tmp/, then a rename),
    each once the one before shows; then another program's rename is made
    (a flag added to a file of cur/) and undone.
 4. quail leaves (x), the delivered files are removed again, and the time
    between the trace lines "ui: new mail taken" and "ui: new mail added"
    (the UI thread matching the worker's batch and adding its rows) is
    printed per batch, with the median of the deliveries, and so is the
    time between "ui: watch names taken" and "sorted" (the names of one
    wake-up checked against the view's unique names, known renames
    followed there).
"""
import argparse
import email.utils
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ui"))
from harness import Term  # noqa: E402

BASE = 1600000000


def fill(md, n):
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, d), exist_ok=True)
    if len(os.listdir(os.path.join(md, "cur"))) == n:
        return
    for i in range(n):
        with open(os.path.join(md, "cur", "%d.M%dP1.bench:2,S" % (BASE + i, i)), "w") as f:
            f.write("From: S%d <s%d@example.org>\nSubject: Q%06d\nDate: %s\n"
                    "Message-ID: <m%d@example.org>\n\nbody\n"
                    % (i % 50, i % 50, i, email.utils.formatdate(BASE + i * 60, usegmt=True), i))


def deliver(md, r):
    name = "%d.Mlive%dP1.bench" % (BASE + 10**8, r)
    tmp = os.path.join(md, "tmp", name)
    with open(tmp, "w") as f:
        f.write("From: L <l@example.org>\nSubject: LIVE%d\nDate: %s\n\nx\n"
                % (r, email.utils.formatdate(BASE + 10**8, usegmt=True)))
    os.rename(tmp, os.path.join(md, "new", name))


def cleanup(md):
    for sub in ("new", "cur", "tmp"):
        for f in os.listdir(os.path.join(md, sub)):
            if ".Mlive" in f:
                os.unlink(os.path.join(md, sub, f))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=100000)
    ap.add_argument("--deliveries", type=int, default=5)
    ap.add_argument("quail")
    ap.add_argument("workdir")
    a = ap.parse_args()
    md = os.path.join(a.workdir, "INBOX")
    home = os.path.join(a.workdir, "home")
    trace = os.path.join(a.workdir, "trace.txt")
    os.makedirs(home, exist_ok=True)
    fill(md, a.messages)
    cleanup(md)
    if os.path.exists(trace):
        os.unlink(trace)
    env = {"HOME": home, "QUAIL_UI_TRACE": trace, "XDG_CONFIG_HOME": os.path.join(home, ".config"),
           "XDG_CACHE_HOME": os.path.join(home, ".cache")}
    t = Term([os.path.abspath(a.quail), "-f", md], 24, 100, env=env)
    try:
        t.wait(lambda t: "Msgs:%d" % a.messages in t.text() and "reading" not in t.text(), 600,
               "the folder read")
        t.settle(1.0, 60)
        for r in range(a.deliveries):
            deliver(md, r)
            t.wait(lambda t: "Msgs:%d" % (a.messages + r + 1) in t.text(), 30, "delivery %d" % r)
            time.sleep(0.3)
        one = os.path.join(md, "cur", "%d.M5P1.bench:2,S" % (BASE + 5))
        os.rename(one, one + "F")
        time.sleep(1.0)
        os.rename(one + "F", one)
        time.sleep(0.5)
        t.send("x")
        t.wait_exit(60)
    finally:
        t.close()
        cleanup(md)
    taken, added = None, []
    with open(trace) as f:
        for line in f:
            if "ui: new mail taken" in line or "ui: watch names taken" in line:
                taken = int(line.split()[0])
            elif "ui: watch names sorted" in line and taken is not None:
                ms = (int(line.split()[0]) - taken) / 1000.0
                print("%8.3f ms  watch: %s" % (ms, line.split("sorted, ", 1)[1].strip()))
            elif "ui: new mail added" in line and taken is not None:
                ms = (int(line.split()[0]) - taken) / 1000.0
                what = line.split("added, ", 1)[1].strip()
                print("%8.3f ms  %s" % (ms, what))
                if " 1 new" in line:
                    added.append(ms)
    if added:
        print("deliveries: median %.3f ms, max %.3f ms over %d" %
              (statistics.median(added), max(added), len(added)))


if __name__ == "__main__":
    main()
