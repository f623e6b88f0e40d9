"""quail's folder browser, sidebar, mbox folders and :cd through a real
terminal (a pty read by pyte), on top of test_ui.py's harness.

Usage: test_folders.py QUAIL_BINARY SAMPLES_DIR [TEST_CLASS...]
"""
import os
import sys
import unicodedata
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_ui  # noqa: E402
from test_ui import UITest, make_folder, write_msg, date, BASE  # noqa: E402


def cells(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def unread(md, n):
    """n unread messages delivered into md/new."""
    for i in range(n):
        write_msg(md, "%d.N%dP2.test" % (BASE + 1000 + i, i),
                  [("From", "New <n@example.org>"), ("Subject", "fresh %d" % i),
                   ("Date", date(500 + i))], "new\n", sub="new")


class FolderTest(UITest):
    def setUp(self):
        super().setUp()
        self.root = os.path.join(self.tmp, "Mail")
        make_folder(self.md, 3)                           # INBOX: 3 read
        make_folder(os.path.join(self.root, "Archive"), 5)
        unread(os.path.join(self.root, "Lists", "dev"), 2)

    def write_config(self, ui_lines=()):
        d = os.path.join(self.home, ".config", "quail")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config"), "w") as f:
            f.write("[general]\nmaildir = %s\n\n[ui]\n%s\n" % (
                self.root, "\n".join(list(ui_lines) or ["sort = date"])))

    def open_root(self, *lines, rows=None, cols=None):
        self.write_config(lines)
        t = self.start("-f", "=INBOX", rows=rows, cols=cols)
        t.wait(lambda t: "[Msgs:" in t.text() and "reading" not in t.text(), 10, "the index")
        return t

    def browser_row(self, t, name):
        ys = [y for y in range(1, t.rows - 2) if (" =" + name + " ") in t.line(y)]
        self.assertEqual(len(ys), 1, t.text())
        return t.line(ys[0])


class Browser(FolderTest):
    def test_open_move_enter(self):
        t = self.open_root()
        t.send("y")
        t.wait_text("---Folders:", 5)
        t.wait(lambda t: "Lists/dev" in t.text(), 10, "the listing")
        # The open folder is marked and under the cursor; counts in columns.
        self.assertTrue(self.browser_row(t, "INBOX").startswith("*"), t.text())
        self.assertIn("INBOX", self.cursor_line(t))
        self.assertTrue(self.browser_row(t, "Archive").rstrip().endswith("5        0"), t.text())
        dev = self.browser_row(t, "Lists/dev")
        self.assertEqual(dev[1], "N", t.text())
        self.assertTrue(dev.rstrip().endswith("2        2"), t.text())
        t.send("j")
        t.wait(lambda t: "Archive" in self.cursor_line(t), 5, "j")
        t.send("j")
        t.wait(lambda t: "Lists/dev" in self.cursor_line(t), 5, "j")
        t.send("k")
        t.wait(lambda t: "Archive" in self.cursor_line(t), 5, "k")
        t.send("\r")
        t.wait_text("Mail/Archive [Msgs:5", 10)
        # q in the browser goes back without changing folder.
        t.send("y")
        t.wait_text("---Folders:", 5)
        t.send("q")
        t.wait_text("Mail/Archive [Msgs:5", 5)
        self.quit(t)

    def test_search_and_prompt_opens_browser(self):
        t = self.open_root()
        t.send("c")
        t.wait_text("Open mailbox:", 5)
        t.send("?")
        t.wait_text("---Folders:", 5)
        t.wait(lambda t: "Lists/dev" in t.text(), 10, "the listing")
        t.send("/")
        t.wait_text("Search for:", 5)
        t.send("dev\r")
        t.wait(lambda t: "Lists/dev" in self.cursor_line(t), 5, "the search")
        t.send("\r")
        t.wait_text("Mail/Lists/dev [Msgs:2 New:2", 10)
        self.quit(t)

    def test_save_through_browser_and_help(self):
        t = self.open_root()
        t.send("=")
        t.send("s")
        t.wait_text("Save to mailbox:", 5)
        t.send("\t")  # Tab on nothing: the browser
        t.wait(lambda t: "Archive" in t.text() and "Folders:" in t.text(), 10, "the browser")
        t.send("?")
        t.wait_text("select-entry", 5)
        t.send("q")
        t.wait_text("---Folders:", 5)
        t.send("j")
        t.wait(lambda t: "Archive" in self.cursor_line(t), 5, "j")
        t.send("\r")
        t.wait_text("Moved 1 message to", 10)
        self.assertIn("[Msgs:2", t.text())
        self.assertEqual(len(os.listdir(os.path.join(self.root, "Archive", "cur"))), 6)
        self.quit(t)

    def test_counts_after_marking_read(self):
        unread(self.md, 4)
        t = self.open_root()
        t.wait_text("[Msgs:7 New:4", 5)
        t.send("=")
        t.send("*")
        t.send("N")   # the last (unread) one read
        t.wait_text("New:3", 5)
        t.send("y")
        t.wait(lambda t: "Archive" in t.text(), 10, "the listing")
        self.assertTrue(self.browser_row(t, "INBOX").rstrip().endswith("7        3"), t.text())
        t.send("q")
        # Marked read in another folder: seen at the next listing.
        d = os.path.join(self.root, "Lists", "dev")
        for f in os.listdir(os.path.join(d, "new")):
            os.rename(os.path.join(d, "new", f), os.path.join(d, "cur", f + ":2,S"))
        t.send("y")
        t.wait(lambda t: self.browser_row(t, "Lists/dev").rstrip().endswith("2        0"),
               10, "dev read")
        self.assertNotEqual(self.browser_row(t, "Lists/dev")[1], "N")
        t.send("q")
        self.quit(t)

    def test_cd_and_change_folder_commands(self):
        t = self.open_root()
        t.send(":cd =Archive\r")
        t.wait_text("Mail/Archive [Msgs:5", 10)
        t.send(":change-folder =Lists/dev\r")
        t.wait_text("Mail/Lists/dev [Msgs:2", 10)
        t.send(":cd =Nope\r")
        t.wait_text("no such file or directory", 5)
        self.quit(t)

    def test_leaving_asks_to_purge(self):
        t = self.open_root()
        t.send("=")
        t.send("d")
        t.wait_text("Del:1", 5)
        t.send(":cd =Nope\r")  # no question for a folder that cannot open
        t.wait_text("no such file or directory", 5)
        self.assertNotIn("Purge", t.text())
        t.send(":cd =Archive\r")
        t.wait_text("Purge 1 deleted message? ([yes]/no):", 5)
        t.send("\x07")  # ^G: stay
        t.wait(lambda t: "Purge" not in t.text(), 5, "the question gone")
        self.assertIn("Mail/INBOX [Msgs:3", t.text())
        t.send(":cd =Archive\r")
        t.wait_text("Purge 1 deleted", 5)
        t.send("n")     # leave, keeping the mark
        t.wait_text("Mail/Archive [Msgs:5", 10)
        cur = os.listdir(os.path.join(self.md, "cur"))
        self.assertEqual(len(cur), 3)
        self.assertEqual(len([f for f in cur if f.endswith(",ST")]), 1)
        t.send(":cd =INBOX\r")
        t.wait_text("Del:1", 10)
        t.send("q")
        t.wait_text("Purge 1 deleted", 5)
        t.send("y")
        self.assertEqual(t.wait_exit(10), 0)
        self.assertEqual(len(os.listdir(os.path.join(self.md, "cur"))), 2)


class Sidebar(FolderTest):
    def test_sidebar_on_toggled_and_moved(self):
        t = self.open_root("sidebar = yes", "sidebar_width = 20",
                           "bind.index.J = sidebar-next", "bind.index.K = sidebar-prev",
                           "bind.index.Esc-o = sidebar-open")
        t.wait(lambda t: "Lists/dev" in t.text() and "Q000002" in t.text(), 10, "the sidebar")
        lines = t.screen.display
        self.assertTrue(lines[0].startswith("INBOX"), t.text())
        self.assertTrue(lines[0][:20].rstrip().endswith("0/3"), t.text())
        self.assertEqual(lines[0][20], "\u2502")
        self.assertTrue(lines[2][:20].rstrip().endswith("2/2"), t.text())
        # The index is beside it, narrowed.
        self.assertIn("q:Quit", lines[0][21:])
        self.assertTrue(lines[1][21:].lstrip().startswith("1"), t.text())
        # Counts follow a flag at once.
        t.send("=")
        t.send("N")
        t.wait(lambda t: t.screen.display[0][:20].rstrip().endswith("1/3"), 5, "1 unread")
        # Hidden and shown again.
        t.send("B")
        t.wait(lambda t: t.screen.display[0].startswith("q:Quit"), 5, "hidden")
        t.send("B")
        t.wait(lambda t: t.screen.display[0].startswith("INBOX"), 5, "shown")
        # Moved with bound sidebar functions and opened.
        t.send("JJJKJ")
        t.wait(lambda t: t.screen.display[2].startswith("Lists/dev"), 5, "dev listed")
        t.send("\x1bo")  # Esc-o
        t.wait_text("Mail/Lists/dev [Msgs:2", 10)
        t.wait(lambda t: t.screen.display[2].startswith("Lists/dev"), 5, "dev listed")
        self.quit(t)

    def test_sidebar_beside_the_pager(self):
        # An unread message whose one long line must wrap.
        words = " ".join("word%02d" % i for i in range(30))
        write_msg(self.md, "%d.M77P1.test" % (BASE + 77),
                  [("From", "Long <l@example.org>"), ("Subject", "the long one"),
                   ("Date", date(77))], words + "\nend.\n", sub="new")
        t = self.open_root("sidebar = yes", "sidebar_width = 20")
        t.wait(lambda t: t.screen.display[0][:20].rstrip().endswith("1/4"), 10, "1 unread")
        t.send("/the long\r")
        t.wait(lambda t: "the long one" in self.cursor_line(t), 5, "the message")
        t.send("\r")
        t.wait_text("word29", 10)
        lines = t.screen.display
        # The sidebar stays, its counts follow the message just read ...
        t.wait(lambda t: t.screen.display[0][:20].rstrip().endswith("0/4"), 5, "read in pager")
        self.assertTrue(lines[0].startswith("INBOX"), t.text())
        self.assertEqual(lines[0][20], "\u2502")
        self.assertTrue(lines[2].startswith("Lists/dev"), t.text())
        self.assertIn("i:Exit", lines[0][21:])
        # ... and the text wraps in the 59 columns right of it, every word whole.
        body = [l[21:].rstrip() for l in lines if "word" in l[21:]]
        self.assertGreater(len(body), 1, t.text())
        self.assertTrue(all(len(l) <= 59 for l in body), t.text())
        self.assertEqual(" ".join(body).split(), words.split())
        self.assertTrue(all(l[:20].strip() == "" or "/" in l[:20] for l in lines[:t.rows - 2]
                            if "word" in l), t.text())
        # B in the pager hides it: the text takes the whole width again.
        t.send("B")
        t.wait(lambda t: t.screen.display[0].startswith("i:Exit"), 5, "hidden")
        body2 = [l.rstrip() for l in t.screen.display if "word" in l]
        self.assertLess(len(body2), len(body), t.text())
        self.assertEqual(" ".join(body2).split(), words.split())
        t.send("B")
        t.wait(lambda t: t.screen.display[0].startswith("INBOX"), 5, "shown again")
        t.send("q")
        t.wait(lambda t: "q:Quit" in t.screen.display[0][21:], 5, "the index beside it")
        self.quit(t)

    def test_new_mail_shown(self):
        t = self.open_root("sidebar = yes", "mail_check = 1", cols=160)
        t.wait(lambda t: "Archive" in t.text(), 10, "the sidebar")
        unread(os.path.join(self.root, "Archive"), 1)
        t.wait(lambda t: any(l.startswith("Archive") and "1/6" in l[:30]
                             for l in t.screen.display), 10, "the new message")
        self.quit(t)

    def test_bad_width_exits_78(self):
        self.write_config(["sidebar = yes", "sidebar_width = 2"])
        t = self.start("-f", "=INBOX")
        self.assertEqual(t.wait_exit(10), 78)
        self.assertIn("config:6:", t.text())
        self.assertIn("sidebar_width", t.text().replace("\n", ""))


class Hostile(FolderTest):
    NAMES = ["evil\x1b[31mred", "bidi\u202eexe.txt", "\u65e5\u672c\u8a9e\u30d5\u30a9\u30eb\u30c0",
             "tab\there", "zero\u200bwidth"]

    def setUp(self):
        super().setUp()
        for i, n in enumerate(self.NAMES):
            unread(os.path.join(self.root, n), i + 1)

    def check_screen(self, t):
        text = t.text()
        self.assertNotIn("\u202e", text)
        self.assertNotIn("\x1b", text)
        self.assertNotIn("\t", text)
        self.assertIn("\u65e5\u672c\u8a9e", text)

    def test_browser_and_sidebar_safe_and_aligned(self):
        t = self.open_root("sidebar = yes", "sidebar_width = 24", cols=100)
        t.wait(lambda t: "\u65e5\u672c" in t.text(), 10, "the sidebar")
        self.check_screen(t)
        # The counts end at the sidebar's edge on every row, CJK or not.
        # (pyte's display drops the second cell of a wide character)
        side = [l.split("\u2502")[0] for l in t.screen.display if "\u2502" in l]
        with_counts = [l for l in side if "/" in l]
        self.assertGreaterEqual(len(with_counts), 8, t.text())
        for l in with_counts:
            self.assertEqual(cells(l), 24, l)
            self.assertTrue(l[-1].isdigit(), l)
        t.send("y")
        t.wait(lambda t: "Folders:" in t.text() and "\u65e5\u672c" in t.text(), 10, "browser")
        self.check_screen(t)
        rows = [t.line(y) for y in range(1, t.rows - 2) if t.line(y).strip()]
        self.assertGreaterEqual(len(rows), 8, t.text())
        # Two count columns, right-aligned at the same place on every row.
        ends = {cells(r.rstrip()) for r in rows}
        self.assertEqual(len(ends), 1, t.text())
        cjk = [r for r in rows if "\u65e5" in r][0]
        self.assertTrue(cjk.rstrip().endswith("3        3"), cjk)
        # The escape sequence is shown, not run: its folder is still there.
        self.assertTrue(any("evil" in r and "red" in r for r in rows), t.text())
        t.send("x")
        t.wait_text("---Quail:", 5)
        self.quit(t, "x")


class Mbox(FolderTest):
    def test_mbox_read_only(self):
        box = os.path.join(self.root, "saved")
        with open(box, "w") as f:
            f.write("From a@example.org Mon Jan  1 00:00:00 2026\nFrom: A <a@example.org>\n"
                    "Subject: kept one\nDate: %s\n\nbody\n\n"
                    "From b@example.org Mon Jan  1 00:00:00 2026\nFrom: B <b@example.org>\n"
                    "Subject: kept two\nStatus: RO\nDate: %s\n\nbody\n" % (date(1), date(2)))
        before = open(box, "rb").read()
        t = self.open_root()
        t.send("y")
        t.wait(lambda t: "saved" in t.text(), 10, "the listing")
        row = self.browser_row(t, "saved")
        self.assertEqual(row[2], "m", row)
        self.assertTrue(row.rstrip().endswith("2        1"), row)
        t.send("*")
        t.wait(lambda t: "saved" in self.cursor_line(t), 5, "*")
        t.send("\r")
        t.wait_text("mbox folder: opened read-only.", 10)
        t.wait_text("kept two", 5)
        for k in ("d", "N", "F", "s"):
            t.send(k)
            t.wait_text("mbox folders are read-only.", 5)
            t.send("\x0c")
            t.wait(lambda t: "read-only" not in t.text(), 5, "cleared")
        self.assertIn("Msgs:2]", t.text())
        self.quit(t)
        self.assertEqual(open(box, "rb").read(), before)


if __name__ == "__main__":
    test_ui.QUAIL = os.path.abspath(sys.argv[1])
    test_ui.SAMPLES = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
