#!/usr/bin/python3
"""Times the open after a short session: the index carried on after a quit.

Usage: tools/bench-ui-quit.py [-n RUNS] [--stay SECONDS] [--off] MAILDIR QUAIL

Each run starts from an empty index (a new HOME under /tmp): quail opens
MAILDIR in a 50x160 pty read by pyte, is told to quit (q) after --stay
seconds (default 1), then the script waits until no process names MAILDIR
(the detached `quail index`, bounded by --timeout) and opens it again.
Reported per run, in milliseconds from the fork of the second open:

  first paint  the first screen that shows >= rows-4 index rows
  complete     every row in the view (bench-ui-open.py's read_done)

and how long the detached run took, how many messages the index held
before the second open, and whether the second open read the rows from
the index (one batch in its QUAIL_UI_TRACE). --off writes
"[ui] index_after_quit = no", the behaviour before the detached run:
the update is canceled at the quit and the second open reads the files.
MAILDIR is only read. Exits 1 when a wait times out.
"""
import argparse
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ui"))
from harness import Term  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
bench_open = __import__("bench-ui-open")

ROW = re.compile(r"^\s*\d+ ")


def env_for(home, trace):
    return {"HOME": home, "XDG_CONFIG_HOME": home + "/.config", "XDG_CACHE_HOME": home + "/.cache",
            "XDG_DATA_HOME": home + "/.local/share", "XDG_STATE_HOME": home + "/.local/state",
            "QUAIL_UI_TRACE": os.path.join(home, trace)}


def rows_shown(t):
    return sum(1 for line in t.screen.display[1:t.rows - 2] if ROW.match(line))


def indexed(home, maildir):
    db = os.path.join(home, ".cache", "quail", "index.sqlite")
    if not os.path.exists(db):
        return 0
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        # The message rows (the home is this run's: one folder), since
        # the folder's own count is written at the end of a pass only.
        return con.execute("SELECT count(*) FROM msg").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        con.close()


def procs_with(path, home):
    """This run's processes naming path: others may open the same folder."""
    out = []
    mark = ("XDG_CACHE_HOME=%s/.cache" % home).encode()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    if path.encode() not in f.read().split(b"\0"):
                        continue
                with open("/proc/%s/environ" % d, "rb") as f:
                    if mark in f.read().split(b"\0"):
                        out.append(int(d))
            except OSError:
                pass
    return out


def one(quail, maildir, stay, off, timeout):
    home = tempfile.mkdtemp(prefix="quail-bench-quit-")
    try:
        if off:
            os.makedirs(home + "/.config/quail")
            with open(home + "/.config/quail/config", "w") as f:
                f.write("[ui]\nindex_after_quit = no\n")
        t = Term([quail, "-f", maildir], 50, 160, env=env_for(home, "trace1.log"))
        try:
            t.wait(lambda t: "---Quail:" in t.text(), timeout, "the first open")
            end = time.monotonic() + stay
            while time.monotonic() < end:
                t.pump(0.05)
            t.send("q")
            t.wait_exit(30)
        finally:
            t.close()
        start = time.monotonic()
        while procs_with(maildir, home):
            if time.monotonic() - start > timeout:
                raise SystemExit("the detached run did not end")
            time.sleep(0.1)
        detached = time.monotonic() - start
        held = indexed(home, maildir)
        start = time.monotonic()
        t = Term([quail, "-f", maildir], 50, 160, env=env_for(home, "trace2.log"))
        try:
            t.wait(lambda t: rows_shown(t) >= t.rows - 4, timeout, "the first screen")
            first = time.monotonic() - start
            done = bench_open.read_done(os.path.join(home, "trace2.log"), 0, start, timeout) / 1000
            t.send("q")
            t.wait_exit(30)
        finally:
            t.close()
        with open(os.path.join(home, "trace2.log")) as f:
            from_index = "load done rc=0, 1 batches" in f.read()
        # the second quit may have left a run of its own
        while procs_with(maildir, home) and time.monotonic() - start < timeout:
            time.sleep(0.1)
        return first * 1000, done * 1000, detached, held, from_index
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", "--runs", type=int, default=3)
    ap.add_argument("--stay", type=float, default=1.0)
    ap.add_argument("--off", action="store_true")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("maildir")
    ap.add_argument("quail")
    a = ap.parse_args()
    q = os.path.abspath(a.quail)
    res = []
    for run in range(a.runs):
        r = one(q, a.maildir, a.stay, a.off, a.timeout)
        res.append(r)
        print("run %d: second open first %.0f ms, complete %.0f ms; detached run %.1f s; "
              "%d indexed before; from the index: %s" % ((run + 1,) + r), file=sys.stderr)
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print("%s, %s, quit after %.1f s, %d runs, load average at the end %s" % (
        a.maildir, "index_after_quit = no" if a.off else "index_after_quit = yes",
        a.stay, a.runs, load))
    for k, name in ((0, "second open, first paint ms"), (1, "second open, complete ms")):
        v = [r[k] for r in res]
        print("%s: %.0f (%.0f-%.0f)" % (name, statistics.median(v), min(v), max(v)))


if __name__ == "__main__":
    main()
