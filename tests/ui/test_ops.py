"""Long folder jobs off the UI thread (SPEC §8): move, copy and expunge on a
worker with progress in the status line and ^G to cancel; limit and search
with full-text terms through the local index (SPEC §9).

Usage: test_ops.py QUAIL_BINARY SAMPLES_DIR [TEST_CLASS...]
"""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_ui  # noqa: E402
from test_ui import UITest, make_folder  # noqa: E402


def files(md):
    out = []
    for sub in ("cur", "new"):
        d = os.path.join(md, sub)
        if os.path.isdir(d):
            out += [os.path.join(d, f) for f in os.listdir(d)]
    return out


def subjects(md):
    got = set()
    for p in files(md):
        with open(p, encoding="utf-8") as f:
            m = re.search(r"^Subject: (Q\d{6})", f.read(), re.M)
            got.add(m.group(1))
    return got


class Ops(UITest):
    """2,000 messages moved, copied and expunged on a worker."""

    N = 2000
    cols = 200  # the status line whole, temporary path and all

    def setUp(self):
        UITest.setUp(self)
        # Padded bodies, so the job lasts long enough to be watched.
        make_folder(self.md, self.N)
        for p in files(self.md):
            with open(p, "a") as f:
                f.write(("padding line of a larger message body\n") * 400)
        self.dest = os.path.join(self.tmp, "Mail", "Archive")

    def tag_all(self, t):
        t.send("T")
        t.wait_text("Tag messages matching:", 5)
        t.send("~A\r")
        t.wait_text("Tag:%d]" % self.N, 10)

    def test_move_tagged_answers_keys_and_shows_progress(self):
        t = self.open_index()
        self.tag_all(t)
        t.send(";s")
        t.wait_text("Save to mailbox:", 5)
        t.send(self.dest + "\r")
        # The status line counts while the worker moves ...
        t.wait(lambda t: re.search(r"\[moving \d+/%d\.\.\.\]" % self.N, t.text()), 10,
               "progress")
        # ... and keys are answered meanwhile (the view is unchanged until
        # the job reports back).
        t.send("*")
        t.wait(lambda t: "Q%06d" % (self.N - 1) in self.cursor_line(t) and
               "[moving " in t.text(), 10, "a key answered during the move")
        t.send("=")
        t.wait(lambda t: "Q000000" in self.cursor_line(t) and "[moving " in t.text(), 10,
               "another key answered during the move")
        t.wait_text("Moved %d messages to" % self.N, 120)
        t.wait(lambda t: "Msgs:0]" in t.text(), 10, "the view emptied")
        self.quit(t)
        self.assertEqual(len(files(self.md)), 0)
        self.assertEqual(subjects(self.dest), {"Q%06d" % i for i in range(self.N)})

    def test_cancel_keeps_what_was_done(self):
        t = self.open_index()
        self.tag_all(t)
        t.send(";s")
        t.wait_text("Save to mailbox:", 5)
        # ^G right behind Enter: the job is canceled between messages.
        t.send(self.dest + "\r\x07")
        t.wait_text("(canceled)", 60)
        m = re.search(r"Moved (\d+) of %d messages" % self.N, t.text())
        self.assertIsNotNone(m, t.text())
        moved = int(m.group(1))
        self.assertLess(moved, self.N)
        t.wait_text("Msgs:%d " % (self.N - moved), 5)
        self.quit(t)
        left, there = subjects(self.md), subjects(self.dest) if moved else set()
        self.assertEqual(len(there), moved)
        self.assertEqual(len(left), self.N - moved)
        self.assertEqual(left | there, {"Q%06d" % i for i in range(self.N)})

    def test_copy_and_expunge(self):
        t = self.open_index()
        t.send("T")
        t.wait_text("Tag messages matching:", 5)
        t.send("~s Q00000\r")
        t.wait_text("Tag:10]", 10)
        t.send(";C")
        t.wait_text("Copy to mailbox:", 5)
        t.send(self.dest + "\r")
        t.wait_text("Copied 10 messages to", 60)
        self.assertIn("Msgs:%d " % self.N, t.text())
        t.send(";d")
        t.wait_text("Del:10", 10)
        t.send("$")
        t.wait_text("10 deleted.", 60)
        t.wait_text("Msgs:%d]" % (self.N - 10), 5)
        self.quit(t)
        want = {"Q%06d" % i for i in range(10)}
        self.assertEqual(subjects(self.dest), want)
        self.assertEqual(len(files(self.md)), self.N - 10)
        self.assertFalse(subjects(self.md) & want)


if __name__ == "__main__":
    test_ui.QUAIL = os.path.abspath(sys.argv[1])
    test_ui.SAMPLES = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
