#!/usr/bin/python3
"""Times quail's UI keys while `quail fetch` writes into the open folder.

Usage: tools/bench-ui-fetch.py [options] QUAIL FOLDER -- FETCH_COMMAND...

Normally run by tools/bench-ui-fetch.sh, which starts Dovecot on 127.0.0.1,
fills it and gives the fetch command. Steps:

 1. quail -f FOLDER starts in a ROWSxCOLS pty (default 50x160) read by pyte
    (python3-pyte, tests/ui/harness.py, as bench/ui/uibench.py does), with
    HOME under --home; the script waits for the folder to be read.
 2. FETCH_COMMAND starts (stdout and stderr into --log), writing into
    FOLDER, which the UI watches for new mail.
 3. While the fetch runs (at most --max-seconds), keys are pressed in a
    cycle, one every --interval seconds (0.1), each timed from the write
    of the key to the pty until the screen read back shows its answer:
      Home   the cursor on row 1            j, k  another message under it
      End    another message under the cursor, no index row below it
      Enter  the pager with the message loaded ("i:Exit", no "Loading")
      q      the index again ("q:Quit")
      l      the "Limit to messages matching:" prompt
      limit  Enter after "~f s3@": the status line shows "---Limit:"
      unlimit  Enter after l and "all": the limit gone
    A key whose answer is already on the screen before it is pressed is
    sent but not timed; j, k and End wait (up to 1 s) for a screen with
    one cursor row before they are sent, and are skipped without one. A key not answered within --key-timeout counts as
    that long and as a timeout.
 4. The fetch is waited for (it is not stopped early), then the index until
    it shows every file of FOLDER (at most 120 s more), then q quits the UI.
 The same keys are also timed for --idle-seconds (10) before the fetch
 starts, as a baseline under the same machine load.

A time ends when the bytes that show the answer were read from the pty,
by a thread that only reads and notes the time; pyte parses them after, so
its parsing (tens of ms for a full 50x160 screen on a busy machine) is
not counted. Printed: per key
and for all keys the count, median, p95 and max in ms, the keys over
--target ms (50), the fetch's time and last line, how soon after it the
index showed every file, and the load average at the start and at the
end. --json FILE writes every sample as [key, ms, sent] (sent: Python's
time.monotonic(), CLOCK_MONOTONIC, as in --trace FILE's first column, in
microseconds). Exits 1 when a key timed out, the fetch failed or the
index missed a message.
"""
import argparse
import json
import os
import queue
import re
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ui"))
from harness import Term  # noqa: E402

NUM = re.compile(r"^\s*(\d+)\s")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cursor(t):
    """(number, text without the number) of the cursor's row, or None."""
    ys = [y for y in t.reverse_rows() if 0 < y < t.rows - 2]
    if len(ys) != 1:
        return None
    line = t.line(ys[0])
    m = NUM.match(line)
    return (int(m.group(1)), line[m.end():]) if m else None


def msgs(t):
    m = re.search(r"\[Msgs:(\d+)", t.line(t.rows - 2))
    return int(m.group(1)) if m else -1


def in_index(t):
    return "q:Quit" in t.line(0)


def in_pager(t):
    return t.line(0).startswith("i:Exit") and "Loading..." not in t.text()


def moved(before):
    def pred(t):
        c = cursor(t)
        return in_index(t) and c is not None and before is not None and c[1] != before[1]
    return pred


def at_first(t):
    c = cursor(t)
    return in_index(t) and c is not None and c[0] == 1


def at_last(before):
    """The cursor moved onto the last row: no index row below it (the
    count in the status line may be a batch of new mail ahead)."""
    def pred(t):
        ys = [y for y in t.reverse_rows() if 0 < y < t.rows - 2]
        c = cursor(t)
        if not in_index(t) or len(ys) != 1 or c is None or before is None or c[1] == before[1]:
            return False
        return not any(NUM.match(t.line(y)) for y in range(ys[0] + 1, t.rows - 2))
    return pred


def prompt(t):
    return "Limit to messages matching:" in t.line(t.rows - 1)


def limited(t):
    return in_index(t) and "---Limit:" in t.line(t.rows - 2)


def unlimited(t):
    return in_index(t) and "---Limit:" not in t.line(t.rows - 2) and cursor(t) is not None


# (name, text typed first and not timed, key timed, predicate or a maker
# of one from the cursor before)
CYCLE = [
    ("Home", "", "\x1bOH", at_first), ("j", "", "j", moved), ("j", "", "j", moved),
    ("j", "", "j", moved), ("k", "", "k", moved), ("End", "", "\x1bOF", at_last),
    ("k", "", "k", moved), ("Enter", "", "\r", in_pager), ("q", "", "q", in_index),
    ("l", "", "l", prompt), ("limit", "~f s3@", "\r", limited), ("l", "", "l", prompt),
    ("unlimit", "all", "\r", unlimited),
]


class Reader:
    """Reads the pty on a thread of its own and stamps each chunk with the
    time it was read, so that the time of an answer is when the UI wrote
    it, not when a busy parser got to it. Replaces t.pump, which the
    harness's wait, settle and wait_exit use."""

    def __init__(self, t):
        self.t, self.q, self.eof = t, queue.Queue(), False
        threading.Thread(target=self.run, daemon=True).start()
        t.pump = self.pump

    def run(self):
        while True:
            try:
                data = os.read(self.t.fd, 65536)
            except OSError:
                data = b""
            self.q.put((time.monotonic(), data))
            if not data:
                return

    def get(self, timeout):
        """One chunk (time, bytes) fed to pyte, or None."""
        if self.eof:
            time.sleep(max(0.0, min(timeout, 0.05)))
            return None
        try:
            at, data = self.q.get(timeout=max(0.0, timeout)) if timeout > 0 else \
                self.q.get_nowait()
        except queue.Empty:
            return None
        if not data:
            self.eof = True
            return None
        self.t.stream.feed(data)
        return at

    def pump(self, timeout=0.05):
        got = self.get(timeout) is not None
        while got and self.get(0) is not None:
            pass
        return got


def pump_until(t, pred, deadline):
    """Feeds the pty's output chunk by chunk until pred holds; returns when
    that chunk was read, or None at the deadline."""
    if pred(t):
        return time.monotonic()
    while time.monotonic() < deadline:
        at = t.reader.get(deadline - time.monotonic())
        if at is not None and pred(t):
            return at
    return None


def drain(t, until):
    while time.monotonic() < until:
        t.pump(max(0.0, min(0.02, until - time.monotonic())))


def pct(v, p):
    s = sorted(v)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def report(samples, target):
    names = []
    for n, _, _ in samples:
        if n not in names:
            names.append(n)
    print("%-8s %6s %8s %8s %8s %6s" % ("key", "n", "median", "p95", "max", ">%dms" % target))
    for n in names + ["all"]:
        v = [ms for k, ms, _ in samples if k == n or n == "all"]
        if v:
            print("%-8s %6d %8.1f %8.1f %8.1f %6d" % (n, len(v), statistics.median(v), pct(v, 95),
                                                    max(v), sum(1 for x in v if x > target)))


def files(md):
    return sum(len(os.listdir(os.path.join(md, s))) for s in ("cur", "new"))


def reset(t):
    """Back to the index without a limit, wherever the cycle stopped."""
    t.send("\x07")
    t.settle(0.2)
    if in_pager(t):
        t.send("q")
        t.wait(in_index, 10, "the index")
    if limited(t):
        t.send("l")
        t.wait(prompt, 10, "the prompt")
        t.send("all\r")
        t.wait(unlimited, 10, "no limit")


def run_keys(t, a, going, deadline):
    """Presses the cycle's keys while going() and before deadline; returns
    the samples [(name, ms, sent)] and the number of timeouts."""
    samples, timeouts, i = [], 0, 0
    while going() and time.monotonic() < deadline:
        name, typed, key, pred = CYCLE[i % len(CYCLE)]
        i += 1
        if typed:
            t.send(typed)
            drain(t, time.monotonic() + 0.05)
        if pred in (moved, at_last):
            # From a whole frame: one cursor row (not a frame half read).
            end = time.monotonic() + 1
            while cursor(t) is None and time.monotonic() < end:
                t.reader.get(0.02)
            if cursor(t) is None:
                continue
            pred = pred(cursor(t))
        timed = not pred(t)
        sent = time.monotonic()
        t.send(key)
        got = pump_until(t, pred, sent + a.key_timeout)
        if timed:
            if got is None:
                timeouts += 1
                print("timeout: %s; screen:\n%s" % (name, t.text()), file=sys.stderr)
                got = sent + a.key_timeout
            samples.append((name, (got - sent) * 1000.0, sent))
        drain(t, sent + a.interval)
    return samples, timeouts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50)
    ap.add_argument("--cols", type=int, default=160)
    ap.add_argument("--home", default="/tmp/quail-bench-ui-fetch/home")
    ap.add_argument("--log", default="/tmp/quail-bench-ui-fetch/fetch.log")
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--max-seconds", type=float, default=600)
    ap.add_argument("--idle-seconds", type=float, default=10)
    ap.add_argument("--key-timeout", type=float, default=5)
    ap.add_argument("--target", type=int, default=50)
    ap.add_argument("--json")
    ap.add_argument("--trace", help="QUAIL_UI_TRACE for the UI: its steps, to set beside "
                    "the keys' times in --json (both CLOCK_MONOTONIC seconds)")
    ap.add_argument("quail")
    ap.add_argument("folder")
    ap.add_argument("fetch", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    fetch = a.fetch[1:] if a.fetch and a.fetch[0] == "--" else a.fetch
    if not fetch:
        ap.error("no fetch command after --")
    os.makedirs(a.home, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(a.log)), exist_ok=True)
    env = {"HOME": a.home, "XDG_CONFIG_HOME": a.home + "/.config",
           "XDG_CACHE_HOME": a.home + "/.cache"}
    if a.trace:
        env["QUAIL_UI_TRACE"] = a.trace
    t = Term([a.quail, "-f", a.folder], a.rows, a.cols, env=env)
    t.reader = Reader(t)
    try:
        t.wait(lambda t: "---Quail:" in t.text() and "reading" not in t.text(), 120, "the index")
        t.send("\x1bOH")
        t.settle(0.3)
        load0 = loadavg()
        base, timeouts = run_keys(t, a, lambda: True, time.monotonic() + a.idle_seconds)
        reset(t)
        start = time.monotonic()
        with open(a.log, "w") as log:
            fp = subprocess.Popen(fetch, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        samples, n = run_keys(t, a, lambda: fp.poll() is None, start + a.max_seconds)
        timeouts += n
        fetch_rc = fp.wait(timeout=max(1.0, a.max_seconds))
        fetch_s = time.monotonic() - start
        load1 = loadavg()
        reset(t)
        # Then until the index shows every file of the folder.
        want = files(a.folder)
        t.wait(lambda t: msgs(t) == want or time.monotonic() - start > fetch_s + 120, 130,
               "the index")
        caught = time.monotonic() - start - fetch_s
        total = msgs(t)
        t.send("q")
        t.wait_exit(30)
    finally:
        t.close()
    with open(a.log) as f:
        last = (f.read().strip().splitlines() or [""])[-1]
    print("keys every %.0f ms during a fetch into %s (%s)" % (a.interval * 1000, a.folder,
                                                            "timed from key to screen, pyte"))
    if base:
        print("before the fetch (%.0f s):" % a.idle_seconds)
        report(base, a.target)
        print("during the fetch (%d keys in %.1f s):" % (len(samples), fetch_s))
    report(samples, a.target)
    print("fetch: exit %d in %.1f s: %s" % (fetch_rc, fetch_s, last))
    print("index: %d of %d messages shown %.1f s after the fetch ended" % (total, want, caught))
    print("load average: %s at the start, %s at the end" % (load0, load1))
    print("key timeouts: %d" % timeouts)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"samples": samples, "before": base, "fetch_rc": fetch_rc, "fetch_s": fetch_s,
                       "load": [load0, load1]}, f)
    sys.exit(1 if timeouts or fetch_rc != 0 or total != want else 0)


if __name__ == "__main__":
    main()
