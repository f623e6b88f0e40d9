"""Rows that follow files another program renamed or removed (a second
quail, mbsync, a webmail sync, mv) while the folder is open: the flags set
elsewhere show without a key, and a message whose file moved still opens.

Usage: test_stale.py QUAIL_BINARY SAMPLES_DIR [TEST_CLASS...]
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_ui  # noqa: E402
from test_ui import BASE, UITest, date, write_msg  # noqa: E402


def unique(i):
    return "%d.M%dP1.test,S=100" % (BASE + i, i)


class Stale(UITest):
    """Five unread messages; other programs rename and delete their files."""

    def setUp(self):
        UITest.setUp(self)
        for i in range(5):
            write_msg(self.md, unique(i),
                      [("From", "Sender <s%d@example.org>" % i), ("To", "me@example.org"),
                       ("Subject", "Q%06d topic" % i), ("Date", date(i)),
                       ("Message-ID", "<m%d@example.org>" % i)],
                      "Body of message %d.\n" % i, flags="")

    def path(self, i, flags, sub="cur"):
        name = unique(i) + (":2," + flags if sub == "cur" else "")
        return os.path.join(self.md, sub, name)

    def row(self, t, subject):
        ys = self.rows_with(t, subject)
        return t.line(ys[0]) if ys else ""

    def goto(self, t, subject):
        t.send("/")
        t.wait_text("Search for:", 5)
        t.send(subject + "\r")
        t.wait(lambda t: subject in self.cursor_line(t), 5, "the cursor on " + subject)

    def test_rename_elsewhere_shows_and_opens(self):
        t = self.open_index()
        t.wait_text("Msgs:5 ", 10)
        self.assertNotIn("!", self.row(t, "Q000002"))
        # Another reader flags and reads message 2: no key pressed here.
        os.rename(self.path(2, ""), self.path(2, "FS"))
        t.wait(lambda t: "!" in self.row(t, "Q000002"), 5, "the flag set elsewhere")
        self.assertIn("Flag:1", t.text())
        # It opens from its new name (no "No such file").
        self.goto(t, "Q000002")
        t.send("\r")
        t.wait_text("Body of message 2.", 5)
        t.send("i")
        t.wait(lambda t: "---Quail:" in t.text(), 5, "the index again")
        # Renamed again right before Enter: found by its unique name
        # whether or not the watch saw the rename first.
        os.rename(self.path(2, "FS"), self.path(2, "FRS"))
        t.send("\r")
        t.wait_text("Body of message 2.", 5)
        self.assertNotIn("No such file", t.text())
        t.send("i")
        t.wait(lambda t: "---Quail:" in t.text(), 5, "the index again")
        # Moved back to new/ by hand: the row is new again, and a flag
        # key renames the file from where it is now.
        os.rename(self.path(2, "FRS"), self.path(2, "", sub="new"))
        t.wait(lambda t: "!" not in self.row(t, "Q000002"), 5, "the row following new/")
        t.send("F")
        t.wait(lambda t: os.path.exists(self.path(2, "F")), 5, "the file renamed from new/")
        t.wait(lambda t: "!" in self.row(t, "Q000002"), 5, "the flag set here")
        # Unflagged elsewhere right before F: whether the watch or the key
        # comes first, the toggle goes by the file's flags now and F flags
        # it again rather than doing nothing.
        os.rename(self.path(2, "F"), self.path(2, ""))
        t.send("F")
        t.wait(lambda t: os.path.exists(self.path(2, "F")), 5, "the toggle by the file's flags")
        t.wait(lambda t: "!" in self.row(t, "Q000002"), 5, "the flag shown")
        # Delivery into new/ still shows as new mail.
        tmpf = os.path.join(self.md, "tmp", unique(9))
        with open(tmpf, "w") as f:
            f.write("From: Late <late@example.org>\nSubject: Q000009 arrived\n"
                    "Date: %s\nMessage-ID: <late@example.org>\n\nhello\n" % date(9))
        os.rename(tmpf, os.path.join(self.md, "new", unique(9)))
        t.wait(lambda t: "Q000009" in t.text() and "Msgs:6 " in t.text(), 5, "the new message")
        self.assertIn("New mail in this folder.", t.text())
        self.quit(t)

    def test_deleted_elsewhere(self):
        t = self.open_index()
        t.wait_text("Msgs:5 ", 10)
        self.goto(t, "Q000003")
        os.unlink(self.path(3, ""))
        t.send("\r")
        t.wait_text("The message is gone", 5)
        t.wait(lambda t: "Q000003" not in t.text() and "Msgs:4 " in t.text(), 5,
               "the row dropped")
        # The other messages still open.
        self.goto(t, "Q000001")
        t.send("\r")
        t.wait_text("Body of message 1.", 5)
        t.send("i")
        t.wait(lambda t: "---Quail:" in t.text(), 5, "the index again")
        start = time.monotonic()
        self.quit(t)
        self.assertLess(time.monotonic() - start, 10)


if __name__ == "__main__":
    test_ui.QUAIL = os.path.abspath(sys.argv[1])
    test_ui.SAMPLES = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
