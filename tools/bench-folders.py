#!/usr/bin/python3
"""Times the folder browser and the sidebar on a big Maildir root.

Usage: tools/bench-folders.py QUAIL [FOLDERS] [MESSAGES_PER_FOLDER]
Builds FOLDERS Maildirs (default 20) of MESSAGES_PER_FOLDER empty
messages each (default 5000; a third of them in new/) in a temporary
root, runs quail in a pty (tests/ui/harness.py, pyte) and prints:
  - how long `y` takes until every folder is listed with its counts,
  - how long a key takes to answer while the listing runs,
  - how many bytes reach the terminal when a flag changes with the
    sidebar shown, against a full redraw of the screen.
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ui"))
from harness import Term  # noqa: E402


def build(root, nf, nm):
    for f in range(nf):
        md = os.path.join(root, "INBOX" if f == 0 else "F%03d" % f)
        for d in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(md, d))
        for i in range(nm):
            if i % 3 == 0:
                name = os.path.join(md, "new", "%d.M%dP1.bench" % (1700000000 + i, i))
            else:
                name = os.path.join(md, "cur", "%d.M%dP1.bench:2,%s" % (
                    1700000000 + i, i, "S" if i % 3 == 1 else ""))
            if f == 0 and i < 50:
                with open(name, "w") as fh:
                    fh.write("From: a@example.org\nSubject: m%d\nDate: Mon, 1 Jan 2024 "
                             "00:00:00 +0000\n\nbody\n" % i)
            else:
                open(name, "w").close()


def main():
    quail = os.path.abspath(sys.argv[1])
    nf = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    nm = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    tmp = tempfile.mkdtemp(prefix="quail-bench-folders-")
    try:
        root = os.path.join(tmp, "Mail")
        t0 = time.monotonic()
        build(root, nf, nm)
        # INBOX holds 50 real messages only: the bench is about the listing.
        inbox = os.path.join(root, "INBOX")
        for d in ("cur", "new"):
            for n in os.listdir(os.path.join(inbox, d)):
                if os.path.getsize(os.path.join(inbox, d, n)) == 0:
                    os.unlink(os.path.join(inbox, d, n))
        print("built %d folders x %d messages in %.1f s" % (nf, nm, time.monotonic() - t0))
        home = os.path.join(tmp, "home")
        conf = os.path.join(home, ".config", "quail")
        os.makedirs(conf)
        with open(os.path.join(conf, "config"), "w") as f:
            f.write("[general]\nmaildir = %s\n\n[ui]\nsidebar_width = 24\n" % root)
        env = {"HOME": home, "XDG_CONFIG_HOME": os.path.join(home, ".config"),
               "XDG_CACHE_HOME": os.path.join(home, ".cache")}
        t = Term([quail, "-f", "=INBOX"], 40, 120, env=env)
        t.wait(lambda t: "[Msgs:50" in t.text() and "reading" not in t.text(), 60, "index")
        t.settle()
        last = "F%03d" % (nf - 1)
        start = time.monotonic()
        t.send("y")
        t.wait(lambda t: "[%d]" % nf in t.text() and "reading..." not in t.text(), 120, "listing")
        print("browser: %d folders listed and counted in %.0f ms (y to screen)" % (
            nf, (time.monotonic() - start) * 1000))
        # A key while the next listing runs: q back, y again, then j at once.
        t.send("q")
        t.wait_text("---Quail:", 10)
        t.send("y")
        start = time.monotonic()
        t.send("j")
        t.wait(lambda t: any(y > 1 and t.line(y).startswith(" ") for y in t.reverse_rows()), 10,
               "the cursor moved")
        print("browser: j answered in %.0f ms while the listing ran" % (
            (time.monotonic() - start) * 1000))
        t.wait(lambda t: "reading..." not in t.text(), 120, "listing")
        t.send("q")
        t.wait_text("---Quail:", 10)
        # Again, nothing changed: the counts of settled folders are kept.
        time.sleep(2.5)
        start = time.monotonic()
        t.send("y")
        t.wait(lambda t: "Folders:" in t.text() and "reading..." not in t.text(), 120, "listing")
        print("browser: listed again (unchanged) in %.0f ms" % ((time.monotonic() - start) * 1000))
        t.send("q")
        t.wait_text("---Quail:", 10)
        # The sidebar: bytes sent for one flag against a full redraw.
        t.send("B")
        t.wait(lambda t: t.line(0).startswith("INBOX"), 60, "the sidebar")
        t.settle(0.5)
        sent = [0]
        feed = t.stream.feed

        def counting(data):
            sent[0] += len(data)
            feed(data)
        t.stream.feed = counting
        t.send("N")
        t.wait(lambda t: "New:" in t.text() and t.line(0)[:24].rstrip() != "", 10, "flag")
        t.settle(0.5)
        flag_bytes = sent[0]
        sent[0] = 0
        t.send("\x0c")  # ^L: the whole screen
        t.settle(0.5)
        print("sidebar: a flag changed sent %d bytes; a full redraw (^L) %d bytes" % (
            flag_bytes, sent[0]))
        t.send("x")
        t.wait_exit(10)
        t.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
