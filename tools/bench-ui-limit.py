#!/usr/bin/python3
"""Times a limit over a big folder in quail's UI: how long a key waits.

Usage: tools/bench-ui-limit.py [-n RUNS] [--home DIR] [--pattern P] MAILDIR QUAIL [QUAIL...]

Each binary in turn (run by run, so a slow spell of a shared machine hits
them all) opens MAILDIR in a 50x160 pty read by pyte with HOME=DIR (as
tools/bench-ui-open.py: the index in DIR/.cache/quail is warm; the first
binary indexes the folder once), waits for every row, then types
"l PATTERN <Enter>" and at once "k". Reported per binary, median
(min-max) over the runs, in milliseconds from the Enter:

  key      the cursor left the last row (the "k" was answered)
  limit    the status line shows the limit and no "[searching"

A UI that matches on its own thread answers the key only after the
limit; one that matches on a worker answers it at once. Exits 1 when a
run times out.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ui"))
from harness import Term  # noqa: E402

bench_open = __import__("bench-ui-open")


def cursor_row(t):
    rr = [y for y in t.reverse_rows() if 0 < y < t.rows - 2]
    return rr[0] if len(rr) == 1 else None


def one(quail, maildir, home, pattern, timeout):
    trace = os.path.join(home, "trace.log")
    offset = bench_open.trace_size(trace)
    t = Term([quail, "-f", maildir], 50, 160, env=bench_open.env_for(home))
    try:
        bench_open.read_done(trace, offset, time.monotonic(), timeout)
        t.wait(lambda t: "---Quail:" in t.text() and "[reading" not in t.text()
               and "indexing" not in t.text() and cursor_row(t), timeout, "every row")
        row = cursor_row(t)
        t.send("l")
        t.wait(lambda t: "Limit to messages matching:" in t.text(), timeout, "the prompt")
        t.send(pattern)
        t.wait(lambda t: pattern in t.text(), timeout, "the pattern typed")
        start = time.monotonic()
        t.send("\r")
        t.send("k")
        key = limit = None
        while key is None or limit is None:
            if time.monotonic() - start > timeout:
                raise AssertionError("timed out; screen:\n" + t.text())
            t.pump(0.002)
            now = (time.monotonic() - start) * 1000
            r = cursor_row(t)
            if key is None and r is not None and r != row:
                key = now
            if limit is None and "Limit:" in t.text() and "[searching" not in t.text():
                limit = now
        t.send("q")
        t.wait_exit(30)
        return key, limit
    finally:
        t.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", "--runs", type=int, default=5)
    ap.add_argument("--home", default="/tmp/quail-bench-ui-open/home")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--pattern", default="~f a | ~s the")
    ap.add_argument("maildir")
    ap.add_argument("quail", nargs="+")
    a = ap.parse_args()
    os.makedirs(a.home, exist_ok=True)
    bench_open.configure(a.home, None)
    bench_open.prepare(os.path.abspath(a.quail[0]), a.maildir, a.home)
    res = {q: [] for q in a.quail}
    for run in range(a.runs + 1):  # run 0 warms the page cache, not counted
        for q in a.quail:
            r = one(os.path.abspath(q), a.maildir, a.home, a.pattern, a.timeout)
            if run:
                res[q].append(r)
            print("run %d %s: key %.0f ms, limit %.0f ms" % ((run, q) + r), file=sys.stderr)
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print("%s, %d messages, limit %r, %d runs, load average at the end %s" % (
        a.maildir, bench_open.files_in(a.maildir), a.pattern, a.runs, load))
    print("| quail | key answered ms | limit shown ms |")
    print("|---|---|---|")
    for q in a.quail:
        cols = []
        for k in range(2):
            v = [r[k] for r in res[q]]
            cols.append("%.0f (%.0f-%.0f)" % (statistics.median(v), min(v), max(v)))
        print("| %s | %s |" % (q, " | ".join(cols)))


if __name__ == "__main__":
    main()
