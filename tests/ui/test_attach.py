"""Attachments in the UI: mailcap viewers (RFC 1524) and TNEF files.

Usage: test_attach.py QUAIL_BINARY SAMPLES_DIR [TEST...]
Each viewer is a mailcap entry that writes marker files, so the test sees
what the viewer was given: a 0600 file in a private directory, removed
once the viewer is done (detached viewers: when the UI exits).
"""
import base64
import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_ui  # noqa: E402
from test_ui import UITest, date, write_msg  # noqa: E402
from harness import Term  # noqa: E402


def tnef(files):
    """A TNEF stream (MS-OXTNEF 2.1.3) carrying files [(name, data)]."""
    def attr(level, ident, data):
        return (struct.pack("<BII", level, ident, len(data)) + data +
                struct.pack("<H", sum(data) & 0xffff))
    b = struct.pack("<IH", 0x223E9F78, 0x1234) + attr(1, 0x00089006, b"\0\0\1\0")
    for name, data in files:
        b += attr(2, 0x00069002, b"\1\0\xff\xff\xff\xff" + b"\0" * 8)
        b += attr(2, 0x00018010, name + b"\0")
        b += attr(2, 0x0006800F, data)
    return b


def mixed(parts):
    """A multipart/mixed body of (type, filename, bytes) attachments."""
    out = "--b\nContent-Type: text/plain\n\nsee attached\n"
    for typ, name, data in parts:
        out += ("--b\nContent-Type: %s\nContent-Disposition: attachment; filename=%s\n"
                "Content-Transfer-Encoding: base64\n\n%s" %
                (typ, name, base64.encodebytes(data).decode()))
    return out + "--b--\n"


class Attach(UITest):
    def setUp(self):
        super().setUp()
        self.vtmp = os.path.join(self.tmp, "vtmp")
        os.makedirs(self.vtmp)
        self.mark = os.path.join(self.tmp, "mark")
        # xdg-open for parts without an entry: a script that leaves a mark.
        self.bin = os.path.join(self.tmp, "bin")
        os.makedirs(self.bin)
        with open(os.path.join(self.bin, "xdg-open"), "w") as f:
            f.write('#!/bin/sh\ncp "$1" %s.xdg\n' % self.mark)
        os.chmod(os.path.join(self.bin, "xdg-open"), 0o755)
        self.mailcap = os.path.join(self.tmp, "mailcap")
        with open(self.mailcap, "w") as f:
            f.write("# viewers that leave marks\n"
                    "application/x-quail-term; stat -c %%a %%s > %(m)s.mode \\; cat %%s > %(m)s.data"
                    " \\; \\\n  echo %%s > %(m)s.path; needsterminal\n"
                    "text/x-quail-copious; printf 'COPIOUS:' \\; cat \\; printf '\\033[31mred\\n';"
                    " copiousoutput\n"
                    "image/*; never-run %%s; test=false\n"
                    "image/*; cp %%s %(m)s.bg \\; echo %%s > %(m)s.bgpath\n"
                    "text/plain; touch %(m)s.plain; needsterminal\n"
                    "text/html; sed -e 's/<[^>]*>//g' -e 's/^/HTMLCAP:/' %%s; copiousoutput\n"
                    % {"m": self.mark})
        d = os.path.join(self.home, ".config", "quail")
        os.makedirs(d)
        with open(os.path.join(d, "config"), "w") as f:
            f.write("[general]\nmaildir = %s\n\n[ui]\nhtml = mailcap\nmailcap = %s\n" % (
                os.path.join(self.tmp, "Mail"), self.mailcap))
        write_msg(self.md, "%d.Matt.test" % test_ui.BASE,
                  [("From", "A <a@example.org>"), ("Subject", "attached"), ("Date", date(1)),
                   ("MIME-Version", "1.0"), ("Content-Type", "multipart/mixed; boundary=b")],
                  mixed([("application/x-quail-term", "a.term", b"term payload\n"),
                         ("text/x-quail-copious", "c.txt", b"hello copious\n"),
                         ("image/png", "p.png", b"png bytes"),
                         ("application/x-quail-none", "n.odt", b"no entry"),
                         ("application/ms-tnef", "winmail.dat",
                          tnef([(b"report.txt", b"from tnef\n")]))]))

    def start(self, *args, rows=None, cols=None):
        env = {"HOME": self.home, "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
               "XDG_CACHE_HOME": os.path.join(self.home, ".cache"), "TMPDIR": self.vtmp,
               "PATH": self.bin + ":/usr/bin:/bin"}
        self.term = Term([test_ui.QUAIL] + list(args), rows or self.rows, cols or self.cols,
                         env=env)
        return self.term

    def open_list(self):
        t = self.open_index()
        t.send("v")
        t.wait_text("---Attachments", 5)
        return t

    def goto(self, t, s):
        ys = self.rows_with(t, s)
        self.assertTrue(ys, t.text())
        for _ in range(ys[0] - 1):
            t.send("j")
        t.wait(lambda t: s in self.cursor_line(t), 5, s)

    def test_terminal_viewer_gets_a_private_file(self):
        t = self.open_list()
        self.goto(t, "a.term")
        t.send("m")
        t.wait(lambda t: os.path.exists(self.mark + ".path"), 10, "the viewer run")
        t.wait_text("---Attachments", 5)
        with open(self.mark + ".mode") as f:
            self.assertEqual(f.read().strip(), "600")
        with open(self.mark + ".data") as f:
            self.assertEqual(f.read(), "term payload\n")
        with open(self.mark + ".path") as f:
            path = f.read().strip()
        # Named by quail, in a directory of its own, gone once viewed.
        self.assertTrue(os.path.basename(path).startswith("part-"), path)
        self.assertNotIn("a.term", path)
        self.assertEqual(os.stat(os.path.dirname(path)).st_mode & 0o777, 0o700)
        self.assertFalse(os.path.exists(path))
        self.quit_all(t)
        self.assertEqual(os.listdir(self.vtmp), [])

    def test_copiousoutput_in_the_pager(self):
        t = self.open_list()
        self.goto(t, "c.txt")
        t.send("\r")
        t.wait_text("COPIOUS:hello copious", 10)
        # The viewer's escape sequence is shown escaped, never sent raw.
        self.assertIn("red", t.text())
        self.assertNotIn("\x1b", t.text())
        t.send("q")
        t.wait_text("---Attachments", 5)
        self.quit_all(t)
        self.assertEqual(os.listdir(self.vtmp), [])

    def test_detached_viewer_file_removed_at_exit(self):
        t = self.open_list()
        self.goto(t, "p.png")
        t.send("\r")  # image/*: the first entry's test fails, the second runs detached
        t.wait(lambda t: os.path.exists(self.mark + ".bgpath"), 10, "the viewer run")
        with open(self.mark + ".bg", "rb") as f:
            self.assertEqual(f.read(), b"png bytes")
        with open(self.mark + ".bgpath") as f:
            path = f.read().strip()
        self.assertTrue(path.endswith(".png"), path)
        self.quit_all(t)
        self.assertFalse(os.path.exists(path))
        self.assertEqual(os.listdir(self.vtmp), [])

    def test_tnef_files_listed_and_saved(self):
        t = self.open_list()
        self.assertIn("winmail.dat", t.text())
        self.goto(t, "report.txt")
        out = os.path.join(self.tmp, "saved")
        os.makedirs(out)
        t.send("s")
        t.wait_text("Save to directory:", 5)
        t.send(out + "\r")
        t.wait_text("Saved ", 5)
        with open(os.path.join(out, "report.txt")) as f:
            self.assertEqual(f.read(), "from tnef\n")
        t.send("m")
        t.wait_text("No mailcap entry for application/octet-stream", 5)
        self.quit_all(t)

    def test_plain_text_shown_by_quail_unless_m(self):
        t = self.open_list()
        self.goto(t, "text/plain")
        t.send("\r")
        t.wait_text("see attached", 5)
        self.assertFalse(os.path.exists(self.mark + ".plain"))
        t.send("q")
        t.wait_text("---Attachments", 5)
        t.send("m")
        t.wait(lambda t: os.path.exists(self.mark + ".plain"), 10, "the mailcap entry run")
        self.quit_all(t)

    def test_no_entry_goes_to_xdg_open(self):
        t = self.open_list()
        self.goto(t, "n.odt")
        t.send("\r")
        t.wait(lambda t: os.path.exists(self.mark + ".xdg"), 10, "xdg-open run")
        with open(self.mark + ".xdg", "rb") as f:
            self.assertEqual(f.read(), b"no entry")
        os.unlink(os.path.join(self.bin, "xdg-open"))
        t.send("\r")
        t.wait_text("and no xdg-open", 5)
        self.quit_all(t)
        self.assertEqual(os.listdir(self.vtmp), [])

    def test_html_through_mailcap(self):
        write_msg(self.md, "%d.Mhtml.test" % (test_ui.BASE - 5),
                  [("From", "H <h@example.org>"), ("Subject", "htmlmsg"), ("Date", date(0)),
                   ("MIME-Version", "1.0"), ("Content-Type", "text/html; charset=utf-8")],
                  "<p>Hello <b>html</b> \x1b[31m</p>\n")
        t = self.open_index()
        t.send("/htmlmsg\r")
        t.wait(lambda t: "htmlmsg" in self.cursor_line(t), 5, "the HTML message")
        t.send("\r")
        t.wait_text("HTMLCAP:Hello html", 10)
        self.assertNotIn("\x1b", t.text())
        t.send("q")
        t.wait_text("---Quail:", 5)
        self.quit(t)
        self.assertEqual(os.listdir(self.vtmp), [])

    def quit_all(self, t):
        t.send("q")
        t.wait_text("---Quail:", 5)
        self.quit(t)


if __name__ == "__main__":
    test_ui.QUAIL = os.path.abspath(sys.argv[1])
    test_ui.SAMPLES = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
