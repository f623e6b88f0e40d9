"""Long folder jobs off the UI thread (SPEC §8): move, copy and expunge on a
worker with progress in the status line and ^G to cancel; limit and search
with full-text terms through the local index (SPEC §9).

Usage: test_ops.py QUAIL_BINARY SAMPLES_DIR [TEST_CLASS...]
"""
import os
import re
import subprocess
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

    def test_tagged_flag_changes(self):
        # ;F ;F ;N over 2,000 tagged messages (a job on a worker: the
        # rows first, the files after) leave every name on disk right.
        t = self.open_index()
        self.tag_all(t)
        # The rows show the flag at once; the files follow on a worker.
        t.send(";F")
        t.wait_text("Flag:%d " % self.N, 10)
        t.wait_text("Changed the flags of %d messages." % self.N, 60)
        t.send(";F")  # and back, every one
        t.wait_text("Changed the flags of %d messages." % self.N, 60)
        self.assertNotIn("Flag:", t.text())
        t.send(";N")  # each toggled: make_folder's read messages unread
        t.wait_text("Changed the flags of %d messages." % self.N, 60)
        t.wait_text("New:%d " % self.N, 5)
        self.quit(t)
        names = [os.path.basename(p) for p in files(self.md)]
        self.assertEqual(len(names), self.N)
        self.assertEqual(len([n for n in names if n.endswith(":2,")]), self.N, names[:5])


class Fts(UITest):
    """Limit and search with body terms through the local index."""

    N = 300
    rows, cols = 60, 200
    WORD = "pomegranate"

    def setUp(self):
        UITest.setUp(self)
        make_folder(self.md, self.N)
        # Every seventh body holds the word; no header does.
        for p in files(self.md):
            with open(p, encoding="utf-8") as f:
                i = int(re.search(r"^Subject: Q(\d{6})", f.read(), re.M).group(1))
            if i % 7 == 3:
                with open(p, "a") as f:
                    f.write("a %s in the body\n" % self.WORD)

    def want(self):
        """The subjects whose file holds the word, read from the files."""
        got = set()
        for p in files(self.md):
            with open(p, encoding="utf-8") as f:
                text = f.read()
            if self.WORD in text.split("\n\n", 1)[1]:
                got.add(int(re.search(r"^Subject: Q(\d{6})", text, re.M).group(1)))
        return got

    def index(self):
        env = dict(os.environ, HOME=self.home, XDG_CACHE_HOME=os.path.join(self.home, ".cache"),
                   XDG_CONFIG_HOME=os.path.join(self.home, ".config"))
        r = subprocess.run([test_ui.QUAIL, "index", self.md], env=env, timeout=120,
                           capture_output=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def tags(self, t):
        return [int(m.group(1)) for line in t.screen.display[1:t.rows - 2]
                for m in [re.search(r"Q(\d{6})", line)] if m]

    def test_limit_body_word_shows_exactly_those(self):
        self.index()
        want = self.want()
        self.assertEqual(len(want), len([i for i in range(self.N) if i % 7 == 3]))
        t = self.open_index()
        t.send("l")
        t.wait_text("Limit to messages matching:", 5)
        t.send("~b %s\r" % self.WORD)
        t.wait_text("Shown:%d]" % len(want), 30)
        t.send("=")
        t.wait(lambda t: set(self.tags(t)) == want, 5, "exactly the rows with the word")
        t.send("l")
        t.send("all\r")
        t.wait(lambda t: "Shown:" not in t.text(), 5, "the limit gone")
        t.send("l")
        t.send("body:%s\r" % self.WORD)
        t.wait_text("Shown:%d]" % len(want), 30)
        t.send("=")
        t.wait(lambda t: set(self.tags(t)) == want, 5, "exactly the rows with the word")
        self.quit(t)

    def test_free_word_is_full_text_when_indexed(self):
        self.index()
        want = self.want()
        t = self.open_index()
        t.send("l")
        t.send("%s\r" % self.WORD)
        t.wait_text("Shown:%d]" % len(want), 30)
        t.send("=")
        t.wait(lambda t: set(self.tags(t)) == want, 5, "the rows whose body has the word")
        self.quit(t)

    def test_free_word_in_an_mbox_matches_headers(self):
        t = self.start("-f", os.path.join(test_ui.SAMPLES, "inbox.mbox"))
        t.wait(lambda t: "---Quail:" in t.text() and "reading" not in t.text(), 20, "the index")
        t.send("l")
        t.send("%s\r" % self.WORD)
        t.wait_text("No messages matched criteria.", 30)
        self.quit(t)

    def test_search_body_word_jumps_to_the_message(self):
        self.index()
        want = sorted(self.want())
        t = self.open_index()
        t.send("=")
        t.wait(lambda t: "Q000000" in self.cursor_line(t), 5, "the first row")
        t.send("/~b %s\r" % self.WORD)
        t.wait(lambda t: "Q%06d" % want[0] in self.cursor_line(t), 30, "the first hit")
        t.send("n")
        t.wait(lambda t: "Q%06d" % want[1] in self.cursor_line(t), 30, "the next hit")
        t.send("/~b nosuchwordanywhere\r")
        t.wait_text("Not found.", 30)
        self.assertIn("Q%06d" % want[1], self.cursor_line(t))
        self.quit(t)

    def test_not_indexed_says_so(self):
        t = self.start("-f", os.path.join(test_ui.SAMPLES, "inbox.mbox"))
        t.wait(lambda t: "---Quail:" in t.text() and "reading" not in t.text(), 20, "the index")
        t.send("l")
        t.send("~b %s\r" % self.WORD)
        t.wait_text("full-text search needs the index: run quail index", 30)
        self.quit(t)


if __name__ == "__main__":
    test_ui.QUAIL = os.path.abspath(sys.argv[1])
    test_ui.SAMPLES = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
