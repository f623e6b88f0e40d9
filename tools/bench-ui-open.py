#!/usr/bin/python3
"""Times quail's UI opening a Maildir the index holds: first paint and done.

Usage: tools/bench-ui-open.py [-n RUNS] [--home DIR] [--sort ORDER] MAILDIR QUAIL [QUAIL...]

Each binary in turn (run by run, so a slow spell of a shared machine hits
them all) starts in a 50x160 pty read by pyte (python3-pyte, the same
emulator bench/ui/uibench.py uses) with HOME=DIR (default a directory under
/tmp kept across runs, so the index in DIR/.cache/quail is warm; the first
binary indexes the folder once before the timings and waits for it).
Reported per binary, median (min-max) over the runs, in milliseconds from
the fork:

  first paint  the first screen that shows >= rows-4 index rows
  complete     every row in the view (the trace's last "ui: batch added" of
               the read, QUAIL_UI_TRACE), i.e.
               the folder as the user can page through it
  peak RSS     VmHWM of the process just before it is told to quit

QUAIL_UI_TRACE is set to DIR/trace.log, so the steps of every open are
there too. --sort writes "[ui] sort = ORDER" to DIR/.config/quail/config
(threads, reverse-from, ...); without it that file is removed. Exits 1
when a run times out.
"""
import argparse
import os
import re
import sqlite3
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ui"))
from harness import Term  # noqa: E402

ROW = re.compile(r"^\s*\d+ ")


def env_for(home):
    return {"HOME": home, "XDG_CONFIG_HOME": home + "/.config", "XDG_CACHE_HOME": home + "/.cache",
            "XDG_DATA_HOME": home + "/.local/share", "XDG_STATE_HOME": home + "/.local/state",
            "QUAIL_UI_TRACE": os.path.join(home, "trace.log")}


def trace_size(trace):
    try:
        return os.path.getsize(trace)
    except OSError:
        return 0


def read_done(trace, offset, start, timeout):
    """Milliseconds from start (time.monotonic) to the folder's rows all in
    the view: the last "ui: batch added" of the open whose trace lines come
    after offset in trace, once it says "worker: load done". The status
    line cannot tell: behind a first page "[reading N...]" shows only
    after a quarter second, so a read that ends sooner never shows it."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(trace) as f:
                f.seek(offset)
                text = f.read()
        except OSError:
            text = ""
        lines = text.splitlines()
        # every batch the workers posted (rows, first pages) taken by the UI
        posted = sum(1 for line in lines if ("worker: batch" in line and "ready" in line)
                     or "worker: first page ready" in line)
        added = [line for line in lines if "ui: batch added" in line]
        if any("worker: load done" in line for line in lines) and added and len(added) >= posted:
            return (int(added[-1].split()[0]) / 1e6 - start) * 1000
        time.sleep(0.01)
    raise SystemExit("timed out waiting for the folder's read in %s" % trace)


def rows_shown(t):
    return sum(1 for line in t.screen.display[1:t.rows - 2] if ROW.match(line))


def vmhwm(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def indexed_count(home, maildir):
    db = os.path.join(home, ".cache", "quail", "index.sqlite")
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM msg m JOIN folder f ON f.id = m.folder "
                               "WHERE f.path = ?", (os.path.realpath(maildir),)).fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return -1


def files_in(maildir):
    return sum(len(os.listdir(os.path.join(maildir, d))) for d in ("cur", "new"))


def configure(home, sort):
    path = os.path.join(home, ".config", "quail", "config")
    if sort is None:
        if os.path.exists(path):
            os.unlink(path)
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("[ui]\nsort = %s\n" % sort)


def prepare(quail, maildir, home):
    """Opens the folder once and waits until the index holds every file."""
    want = files_in(maildir)
    if indexed_count(home, maildir) == want:
        return
    t = Term([quail, "-f", maildir], 50, 160, env=env_for(home))
    t.wait(lambda _t: indexed_count(home, maildir) == want, 1800, "the folder indexed")
    t.send("q")
    t.wait_exit(30)
    t.close()


def one(quail, maildir, home, timeout):
    trace = os.path.join(home, "trace.log")
    offset = trace_size(trace)
    start = time.monotonic()
    t = Term([quail, "-f", maildir], 50, 160, env=env_for(home))
    try:
        t.wait(lambda t: rows_shown(t) >= t.rows - 4, timeout, "the first screen")
        first = time.monotonic() - start
        done = read_done(trace, offset, start, timeout) / 1000
        t.wait(lambda t: "---Quail:" in t.text() and "[reading" not in t.text(), timeout, "every row")
        rss = vmhwm(t.pid)
        t.send("q")
        t.wait_exit(30)
        return first * 1000, done * 1000, rss
    finally:
        t.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", "--runs", type=int, default=5)
    ap.add_argument("--home", default="/tmp/quail-bench-ui-open/home")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--sort", help="the index's order ([ui] sort)")
    ap.add_argument("maildir")
    ap.add_argument("quail", nargs="+")
    a = ap.parse_args()
    os.makedirs(a.home, exist_ok=True)
    configure(a.home, a.sort)
    prepare(os.path.abspath(a.quail[0]), a.maildir, a.home)
    res = {q: [] for q in a.quail}
    for run in range(a.runs + 1):  # run 0 warms the page cache, not counted
        for q in a.quail:
            r = one(os.path.abspath(q), a.maildir, a.home, a.timeout)
            if run:
                res[q].append(r)
            print("run %d %s: first %.0f ms, complete %.0f ms, %.1f MB" % ((run, q) + r),
                  file=sys.stderr)
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print("%s, %d messages, sort %s, %d runs, load average at the end %s" % (
        a.maildir, files_in(a.maildir), a.sort or "(default)", a.runs, load))
    print("| quail | first paint ms | complete ms | peak RSS MB |")
    print("|---|---|---|---|")
    for q in a.quail:
        cols = []
        for k in range(3):
            v = [r[k] for r in res[q]]
            fmt = "%.1f" if k == 2 else "%.0f"
            cols.append((fmt + " (" + fmt + "-" + fmt + ")") % (statistics.median(v), min(v), max(v)))
        print("| %s | %s |" % (q, " | ".join(cols)))


if __name__ == "__main__":
    main()
