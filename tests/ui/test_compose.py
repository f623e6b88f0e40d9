"""Writing mail in quail's curses UI, through a real terminal (pyte).

Usage: test_compose.py QUAIL_BINARY [TEST...]
The editor is tests/ui/fake_editor.py, told what to do through a JSON
file; it keeps a copy of every file it was given. Sending goes to a
closed port on 127.0.0.1 (an error, or "queued" with queue = yes); the
real delivery is tests/integration/compose-ui.sh's.
"""
import json
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_ui  # noqa: E402
from test_ui import UITest, write_msg, date  # noqa: E402

EDITOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_editor.py")


def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Compose(UITest):
    def setUp(self):
        super().setUp()
        self.ed = os.path.join(self.tmp, "editor")
        os.makedirs(self.ed)
        self.mail = os.path.join(self.tmp, "Mail")
        write_msg(self.md, "%d.M1P1.test" % test_ui.BASE,
                  [("From", "Bob Example <bob@example.org>"), ("To", "alice@example.org"),
                   ("Subject", "Lunch plans"), ("Date", date(1)),
                   ("Message-ID", "<lunch@example.org>")],
                  "Shall we meet at noon?\nBob\n")
        self.write_config()
        self.edit({"set": {"To": "carol@example.org", "Subject": "Hello Carol"},
                   "body": "Hi Carol,\nsee you.\n"})

    def write_config(self, account=(), ui=(), port=None, editor=EDITOR):
        d = os.path.join(self.home, ".config", "quail")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config"), "w") as f:
            f.write("[general]\ndefault_account = t\nmaildir = %s\n\n" % self.mail)
            f.write("[account t]\nfrom = Alice <alice@example.org>\nmaildir = %s\n" % self.mail)
            f.write("smtp = smtp://127.0.0.1:%d\n" % (port or closed_port()))
            f.write("".join(line + "\n" for line in account))
            f.write("\n[ui]\neditor = %s\n" % editor)
            f.write("".join(line + "\n" for line in ui))

    def edit(self, mode):
        with open(os.path.join(self.ed, "mode"), "w") as f:
            json.dump(mode, f)

    def got(self, n):
        with open(os.path.join(self.ed, "got-%d" % n), encoding="utf-8") as f:
            return f.read()

    def info(self, n):
        with open(os.path.join(self.ed, "info-%d" % n)) as f:
            return json.load(f)

    def start_ui(self):
        env = {"HOME": self.home, "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
               "XDG_CACHE_HOME": os.path.join(self.home, ".cache"),
               "XDG_RUNTIME_DIR": os.path.join(self.tmp, "run"),
               "XDG_STATE_HOME": os.path.join(self.tmp, "state"),
               "QUAIL_TEST_EDITOR_DIR": self.ed, "VISUAL": "false", "EDITOR": "false"}
        os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
        self.term = test_ui.Term([test_ui.QUAIL, "-f", "=INBOX"], self.rows, self.cols, env=env)
        self.term.wait(lambda t: "---Quail:" in t.text() and "Lunch plans" in t.text(), 20,
                       "the index")
        return self.term

    def compose_screen(self, t, *texts):
        t.wait(lambda t: "-- Quail: Compose" in t.text() and all(x in t.text() for x in texts),
               10, "the compose screen with %r" % (texts,))

    def test_new_message_temp_file_private_and_removed(self):
        t = self.start_ui()
        t.send("m")
        self.compose_screen(t, "carol@example.org", "Hello Carol")
        got = self.got(0)
        self.assertIn("From: Alice <alice@example.org>\n", got)
        self.assertIn("To: \n", got)
        info = self.info(0)
        self.assertEqual(info["mode"], 0o600)
        self.assertEqual(info["dirmode"], 0o700)
        drafts = os.path.join(self.tmp, "state", "quail", "drafts")
        self.assertEqual(os.path.dirname(info["path"]), drafts)
        self.assertFalse(os.path.exists(info["path"]), "the editor's file is removed")
        self.assertEqual([f[-4:] for f in os.listdir(drafts)], [".eml"],
                         "the draft is kept while the screen is open")
        # the MIME structure of what would be sent
        self.assertIn("text/plain", t.text())
        t.send("q")
        t.wait_text("Abort this message? ([no]/yes)", 5)
        t.send("n")
        t.settle()
        self.assertIn("-- Quail: Compose", t.text())
        t.send("q")
        t.wait_text("Abort this message?", 5)
        t.send("y")
        t.wait_text("Message aborted.", 5)
        self.assertIn("---Quail:", t.text())
        self.assertEqual(os.listdir(drafts), [], "an aborted draft is not kept")
        self.quit(t)

    def test_killed_compose_recovered(self):
        drafts = os.path.join(self.tmp, "state", "quail", "drafts")
        t = self.start_ui()
        t.send("m")
        self.compose_screen(t, "carol@example.org", "Hello Carol")
        kept = os.listdir(drafts)
        self.assertEqual(len(kept), 1, kept)
        self.assertEqual(os.stat(drafts).st_mode & 0o777, 0o700)
        self.assertEqual(os.stat(os.path.join(drafts, kept[0])).st_mode & 0o777, 0o600)
        self.assertIn("Hi Carol,\nsee you.\n", read_text(os.path.join(drafts, kept[0])))
        t.close()  # kill -9 while the compose screen shows
        self.assertEqual(t.status, -9)
        self.edit({"unchanged": True})
        t = self.start_ui()
        t.wait_text("1 unsent draft from an earlier run: R recovers it.", 10)
        t.send("R")
        self.compose_screen(t, "carol@example.org", "Hello Carol")
        self.assertNotIn(kept[0], os.listdir(drafts), "the recovered file is kept anew")
        self.assertEqual(len(os.listdir(drafts)), 1)
        t.send("E")  # the text came back too
        t.wait(lambda t: os.path.exists(os.path.join(self.ed, "got-1")), 10, "the editor")
        self.assertIn("Hi Carol,\nsee you.\n", self.got(1))
        self.assertIn("Subject: Hello Carol\n", self.got(1))
        self.compose_screen(t, "Hello Carol")
        t.send("P")
        t.wait_text("Message postponed.", 10)
        self.assertEqual(os.listdir(drafts), [], "a postponed draft is not kept here")
        self.quit(t)

    def test_resize_while_editing(self):
        self.edit({"set": {"To": "carol@example.org", "Subject": "Hello Carol"}, "body": "x\n",
                   "sleep": 1.5})
        t = self.start_ui()
        t.send("m")
        t.wait(lambda t: os.path.exists(os.path.join(self.ed, "got-0")), 5, "the editor")
        t.resize(30, 100)
        t.wait(lambda t: t.line(28).startswith("-- Quail: Compose"), 10,
               "the compose screen drawn for 30 rows")
        self.assertIn("Hello Carol", t.text())
        self.quit_compose(t)

    def test_interrupt_in_editor_is_the_editors(self):
        self.edit({"set": {"To": "carol@example.org", "Subject": "Hello Carol"}, "body": "x\n",
                   "sigint": True})
        # exec: the editor is quail's child, as a shell would leave it
        self.write_config(editor="exec " + EDITOR)
        t = self.start_ui()
        t.send("m")
        self.compose_screen(t, "Hello Carol")
        t.settle()
        self.assertIsNone(os.waitpid(t.pid, os.WNOHANG)[0] or None, "quail still runs")
        self.quit_compose(t)

    def test_unchanged_new_message_aborts(self):
        self.edit({"unchanged": True})
        t = self.start_ui()
        t.send("m")
        t.wait_text("Aborted unmodified message.", 10)
        self.assertNotIn("-- Quail: Compose", t.text())
        self.assertFalse(os.path.exists(self.info(0)["path"]))
        self.quit(t)

    def test_editor_failing_aborts(self):
        self.edit({"exit": 3})
        t = self.start_ui()
        t.send("m")
        t.wait_text("The editor exited with 3", 10)
        self.assertNotIn("-- Quail: Compose", t.text())
        self.assertFalse(os.path.exists(self.info(0)["path"]))
        self.quit(t)

    def test_attach_complete_browse_detach(self):
        files = os.path.join(self.tmp, "files")
        os.makedirs(files)
        with open(os.path.join(files, "report-2026.pdf"), "wb") as f:
            f.write(b"%PDF-1.4\n" + b"x" * 3000)
        with open(os.path.join(files, "notes.txt"), "w") as f:
            f.write("some notes\n")
        t = self.start_ui()
        t.send("m")
        self.compose_screen(t, "Hello Carol")
        t.send("a")
        t.wait_text("Attach file ('?' for list):", 5)
        t.send(os.path.join(files, "rep") + "\t")
        t.wait_text("report-2026.pdf", 5)
        t.send("\r")
        t.wait(lambda t: "  2 report-2026.pdf" in t.text(), 10, "the attachment row")
        self.assertIn("Atts: 1", t.text())
        self.assertIn("application/pdf", t.text())
        # the browser: a directory answer lists it, Enter picks a file
        t.send("a")
        t.wait_text("Attach file", 5)
        t.send(files + "\r")
        t.wait_text("-- Directory:", 5)
        self.assertIn("notes.txt", t.text())
        # "../" first, then the files by name: one down is notes.txt
        t.send("j")
        t.wait(lambda t: any("notes.txt" in t.line(y) for y in t.reverse_rows()
                             if 0 < y < t.rows - 2), 5, "the cursor on notes.txt")
        t.send("\r")
        t.wait(lambda t: "  3 notes.txt" in t.text(), 10, "the second attachment")
        self.assertIn("Atts: 2", t.text())
        # D on the second attachment (the cursor is on the newest)
        t.send("D")
        t.wait(lambda t: "notes.txt" not in t.text(), 5, "notes.txt detached")
        self.assertIn("report-2026.pdf", t.text())
        t.send("k")
        t.send("k")
        t.send("D")
        t.wait_text("You may not delete the message text.", 5)
        t.send("q")
        t.wait_text("Abort this message?", 5)
        t.send("y")
        self.quit(t)

    def test_attach_description(self):
        files = os.path.join(self.tmp, "files")
        os.makedirs(files)
        logo = os.path.join(files, "logo.bin")
        with open(logo, "wb") as f:
            f.write(b"\x00\x01\x02" * 100)
        # mutt's Attach: FILE DESCRIPTION, quoted here
        self.edit({"set": {"To": "carol@example.org", "Subject": "Hello Carol"},
                   "prepend": 'Attach: %s "第一季度 报告"\n' % logo, "body": "x\n"})
        t = self.start_ui()
        t.send("m")
        self.compose_screen(t, "logo.bin")
        # the row and the MIME structure (read back from what is built)
        t.wait(lambda t: t.text().count('"第一季度 报告"') == 2, 5, "the description twice")
        t.send("d")
        t.wait_text("pick an attachment", 5)  # the cursor is on the text
        t.send("j")
        t.send("d")
        t.wait_text("Description: 第一季度 报告", 5)
        t.send("\x15the company logo\r")
        t.wait(lambda t: t.text().count('"the company logo"') == 2
               and "第一季度" not in t.text(), 5, "the new description twice")
        self.edit({"unchanged": True})
        t.send("E")  # the editor's file carries it on the Attach: line
        t.wait(lambda t: os.path.exists(os.path.join(self.ed, "got-1")), 10, "the editor")
        self.assertIn("Attach: %s the company logo\n" % logo, self.got(1))
        self.compose_screen(t, '"the company logo"')
        # an empty answer removes it
        t.send("j")
        t.send("d")
        t.wait_text("Description: the company logo", 5)
        t.send("\x15\r")
        t.wait(lambda t: "the company logo" not in t.text(), 5, "the description removed")
        self.quit_compose(t)

    def test_tag_prefix_bounce_and_recall(self):
        t = self.start_ui()
        # ; b with nothing tagged asks nothing
        t.send(";b")
        t.wait_text("No tagged messages.", 5)
        self.assertNotIn("Bounce", t.text())
        # ; R: a draft is one message; refused, nothing recalled
        t.send(";R")
        t.wait_text("R recalls one draft; ; does not apply to it.", 5)
        t.send("t")
        t.wait_text("Tag:1", 5)
        t.send(";b")
        t.wait_text("Bounce tagged messages to: ", 5)
        t.send("dave@example.org\r")
        t.wait_text("Bounce tagged messages to dave@example.org? ([no]/yes)", 5)
        t.send("n")  # no: nothing is sent
        t.wait(lambda t: "Bounce" not in t.line(t.rows - 1), 5, "the question gone")
        self.quit(t)

    def test_slow_completion_keeps_keys_live(self):
        q = os.path.join(self.tmp, "query.sh")
        log = os.path.join(self.tmp, "query.log")
        with open(q, "w") as f:
            # mutt's query_command: the first line is a message, not a match
            f.write('#!/bin/sh\necho start >>%s\nsleep 2\necho end >>%s\necho searching\n'
                    'case "$1" in dav*) printf "dave@example.org\\tDave Jones\\tfriend\\n";; esac\n'
                    % (log, log))
        os.chmod(q, 0o755)
        self.write_config(account=["query_command = %s %%s" % q])
        t = self.start_ui()
        t.send("m")
        self.compose_screen(t, "Hello Carol")
        t.send("t")
        t.wait_text("To: carol@example.org", 5)
        t.send(", dav\t")
        t.wait(lambda t: os.path.exists(log), 5, "the query started")
        # a key typed while the query sleeps is answered at once
        t.send("e")
        t.wait(lambda t: t.line(t.rows - 1).startswith("To: carol@example.org, dave"), 1.5,
               "the key answered during the query")
        self.assertEqual(read_text(log), "start\n", "the query still runs")
        # its late answer is for text no longer there: the prompt keeps what was typed
        t.wait(lambda t: read_text(log) == "start\nend\n", 10, "the first query's end")
        t.settle()
        self.assertTrue(t.line(t.rows - 1).startswith("To: carol@example.org, dave"))
        self.assertNotIn("Dave Jones", t.text())
        t.send("\x7f\t")  # back to "dav", Tab again: the answer arrives
        t.wait_text("To: carol@example.org, Dave Jones <dave@example.org>", 10)
        # ^G while it runs: the query is killed, the prompt and its text stay
        t.send("\x15dav\t")
        t.wait(lambda t: read_text(log).count("start") == 3, 5, "the third query")
        t.send("\x07")
        t.settle()
        self.assertTrue(t.line(t.rows - 1).startswith("To: dav"), t.line(t.rows - 1))
        import time
        time.sleep(3)
        t.settle()
        self.assertEqual(read_text(log).count("end"), 2, "the canceled query was killed")
        self.assertTrue(t.line(t.rows - 1).startswith("To: dav"), t.line(t.rows - 1))
        self.assertNotIn("Dave Jones", t.line(t.rows - 1))
        t.send("\x07")  # ^G again: the prompt itself
        self.compose_screen(t, "Hello Carol")
        self.quit_compose(t)

    def test_reply_quotes_and_subject(self):
        self.edit({"body": "Noon is fine.\n"})
        t = self.start_ui()
        t.send("r")
        self.compose_screen(t, "Re: Lunch plans", "bob@example.org")
        got = self.got(0)
        self.assertIn("Subject: Re: Lunch plans\n", got)
        self.assertIn("> Shall we meet at noon?\n", got)
        self.assertIn("To: Bob Example <bob@example.org>\n", got)
        self.quit_compose(t)

    def test_forward_inline_and_attached(self):
        self.edit({"set": {"To": "carol@example.org"}, "body": "FYI\n"})
        self.write_config(ui=["mime_forward = ask"])
        t = self.start_ui()
        t.send("f")
        t.wait_text("Forward as attachment? ([no]/yes)", 5)
        t.send("n")
        self.compose_screen(t, "Fwd: Lunch plans", "carol@example.org")
        got = self.got(0)
        self.assertIn("Subject: Fwd: Lunch plans\n", got)
        self.assertIn("Shall we meet at noon?", got)
        t.send("q")
        t.wait_text("Abort this message?", 5)
        t.send("y")
        t.wait_text("---Quail:", 5)
        t.send("f")
        t.wait_text("Forward as attachment?", 5)
        t.send("y")
        self.compose_screen(t, "Fwd: Lunch plans", "message/rfc822")
        self.assertNotIn("Shall we meet at noon?", self.got(1))
        self.quit_compose(t)

    def test_reply_from_pager_and_tagged_forward(self):
        self.edit({"body": "ok\n"})
        t = self.start_ui()
        t.send("\r")
        t.wait_text("Shall we meet at noon?", 10)
        t.send("r")
        self.compose_screen(t, "Re: Lunch plans")
        t.send("q")
        t.wait(lambda t: "Abort this message?" in t.text() or "noon?" in t.text(), 5, "q")
        if "Abort this message?" in t.text():
            t.send("y")
        # back in the pager it came from
        t.wait(lambda t: "Shall we meet at noon?" in t.text() and "Compose" not in t.text(), 5,
               "the pager again")
        t.send("q")
        t.wait_text("---Quail:", 5)
        # ; f: the tagged messages forwarded as attachments (mime_forward is no)
        t.send("t")
        t.send(";f")
        self.compose_screen(t, "Fwd: Lunch plans", "message/rfc822")
        self.quit_compose(t)

    def test_bounce_asks_then_reports(self):
        t = self.start_ui()
        t.send("b")
        t.wait_text("Bounce message to: ", 5)
        t.send("dave@example.org\r")
        t.wait_text("Bounce message to dave@example.org? ([no]/yes)", 5)
        t.send("y")
        # nothing listens on the account's port: the error is shown
        t.wait(lambda t: "Bouncing" not in t.text() and "127.0.0.1" in t.text(), 30,
               "the bounce error")
        self.assertIn("---Quail:", t.text())
        self.quit(t)

    def quit_compose(self, t):
        t.send("q")
        t.wait(lambda t: "Abort this message?" in t.text() or "---Quail:" in t.text(), 5,
               "q on the compose screen")
        if "Abort this message?" in t.text():
            t.send("y")
        t.wait_text("---Quail:", 5)
        self.quit(t)

    def test_fields_change_with_prompts(self):
        t = self.start_ui()
        t.send("m")
        self.compose_screen(t, "Hello Carol")
        t.send("s")
        t.wait_text("Subject: Hello Carol", 5)
        t.send("\x15New subject\r")  # ^U clears the old value
        self.compose_screen(t, "New subject")
        t.send("c")
        t.wait(lambda t: t.line(t.rows - 1).startswith("Cc: "), 5, "the Cc prompt")
        t.send("dave@example.org\r")
        self.compose_screen(t, "dave@example.org")
        self.quit_compose(t)

    def test_address_completion_on_tab(self):
        q = os.path.join(self.tmp, "query.sh")
        with open(q, "w") as f:
            f.write('#!/bin/sh\necho "looking for $1"\n'
                    'case "$1" in dav*) printf "dave@example.org\\tDave Jones\\tfriend\\n";; esac\n')
        os.chmod(q, 0o755)
        self.write_config(account=["query_command = %s %%s" % q])
        t = self.start_ui()
        t.send("m")
        self.compose_screen(t, "Hello Carol")
        t.send("t")
        t.wait_text("To: carol@example.org", 5)
        t.send(", dav\t")
        t.wait_text("To: carol@example.org, Dave Jones <dave@example.org>", 10)
        t.send("\r")
        self.compose_screen(t, "carol@example.org, Dave Jones <dave@example.org>")
        self.quit_compose(t)

    def test_help_lists_compose_keys_and_bind(self):
        self.write_config(ui=["bind.compose.Y = send-message"])
        self.edit({"set": {"Subject": "no recipients"}, "body": "x\n"})
        t = self.start_ui()
        t.send("m")
        self.compose_screen(t, "no recipients")
        t.send("?")
        t.wait_text("send-message", 5)
        for f in ("attach-file", "detach-file", "edit-headers", "postpone-message"):
            self.assertIn(f, t.text())
        t.send("q")
        self.compose_screen(t)
        # the bound key sends: without a recipient it asks for a To first
        t.send("Y")
        t.wait(lambda t: t.line(t.rows - 1).startswith("No recipients were specified. To: "), 5,
               "the To prompt")
        t.send("\x07")
        self.quit_compose(t)

    def test_postpone_then_recall(self):
        t = self.start_ui()
        t.send("m")
        self.compose_screen(t, "Hello Carol")
        t.send("P")
        t.wait_text("Message postponed.", 10)
        drafts = os.path.join(self.mail, "Drafts")
        files = [f for sub in ("cur", "new") for f in os.listdir(os.path.join(drafts, sub))]
        self.assertEqual(len(files), 1, files)
        t.send("R")
        self.compose_screen(t, "Hello Carol", "carol@example.org")
        self.quit_compose(t)

    def test_send_error_keeps_draft(self):
        t = self.start_ui()
        t.send("m")
        self.compose_screen(t, "Hello Carol")
        t.send("y")
        t.wait(lambda t: "Sending" not in t.text() and "127.0.0.1" in t.text(), 30,
               "the send error")
        self.compose_screen(t, "Hello Carol", "carol@example.org")
        self.quit_compose(t)

    def test_send_cancel_keeps_draft(self):
        # a server that takes the connection and never greets
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        self.addCleanup(silent.close)
        self.write_config(port=silent.getsockname()[1])
        t = self.start_ui()
        t.send("m")
        self.compose_screen(t, "Hello Carol")
        t.send("y")
        t.wait_text("Sending message... (^G cancels)", 5)
        # the compose keys wait while the message goes out
        t.send("s")
        t.wait_text("Sending; ^G cancels.", 5)
        t.send("\x07")
        t.wait_text("Sending canceled; the message is kept.", 10)
        self.compose_screen(t, "Hello Carol", "carol@example.org")
        self.quit_compose(t)

    def test_edit_again_and_empty_body(self):
        self.edit({"set": {"To": "carol@example.org", "Subject": "Empty"}})
        t = self.start_ui()
        t.send("m")
        self.compose_screen(t, "Empty")
        t.send("y")
        t.wait_text("The message is empty. Send it anyway? ([no]/yes)", 5)
        t.send("n")
        self.compose_screen(t, "Empty")
        # e: the text alone; E: with the fields
        self.edit({"body": "Now with a text.\n"})
        t.send("e")
        t.wait(lambda t: "[text/plain, 17]" in t.text(), 10, "the new text")
        self.assertEqual(self.got(1), "")
        self.edit({"set": {"Subject": "Not empty"}})
        t.send("E")
        self.compose_screen(t, "Not empty")
        self.assertIn("Now with a text.", self.got(2))
        # a line that is no field is refused, and kept for the next E
        self.edit({"prepend": "this is no header\n"})
        t.send("E")
        t.wait_text("line 1: not a header field", 10)
        self.compose_screen(t, "Not empty")
        self.edit({"unchanged": True})
        t.send("E")
        t.wait(lambda t: os.path.exists(os.path.join(self.ed, "got-4")), 10, "the editor again")
        self.assertTrue(self.got(4).startswith("this is no header\n"), self.got(4))
        self.quit_compose(t)

    def test_send_queued(self):
        self.write_config(account=["queue = yes"])
        t = self.start_ui()
        t.send("m")
        self.compose_screen(t, "Hello Carol")
        t.send("y")
        t.wait_text("Message queued", 30)
        self.assertIn("---Quail:", t.text())
        outbox = os.path.join(self.tmp, "state", "quail", "outbox")
        kept = [os.path.join(d, f) for d, _, fs in os.walk(outbox) for f in fs]
        self.assertTrue(any("Subject: Hello Carol" in read_text(f) for f in kept), kept)
        self.assertIn("1 queued: retrying in 30 s.", t.text())
        # the port still refuses: the UI's retry fails, says why, backs off
        t.wait_text("1 queued: retrying in 1 min", 45)
        self.assertIn("127.0.0.1", t.text())
        kept = [os.path.join(d, f) for d, _, fs in os.walk(outbox) for f in fs]
        self.assertTrue(any("Subject: Hello Carol" in read_text(f) for f in kept), kept)
        self.quit(t)


if __name__ == "__main__":
    test_ui.QUAIL = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
