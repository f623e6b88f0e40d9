"""The index update carried on after the UI quits (SPEC §8).

Usage: test_quitindex.py QUAIL_BINARY [TEST...]
A folder opened and quit before its index update ended is indexed by a
detached `quail index` afterwards, so the next open reads it from the
index; with [ui] index_after_quit = no nothing is left behind. Every wait
is bounded; a process left over is killed at the end of its test.
"""
import fcntl
import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Term, reap  # noqa: E402
from test_ui import make_folder  # noqa: E402

QUAIL = None
N = 3000  # enough that indexing it takes well over a second under ASan


def procs_with(path):
    """The pids whose command line names path (the UI and its index run)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if path.encode() in args:
            out.append(int(d))
    return out


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode() for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def stat_fields(pid):
    """/proc/PID/stat from field 3 on (the name may hold blanks)."""
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    return s[s.rindex(")") + 2:].split()


def gone(pid):
    """True once pid has ended (a zombie too)."""
    try:
        return stat_fields(pid)[0] == "Z"
    except OSError:
        return True


class QuitIndex(unittest.TestCase):
    rows, cols = 24, 80

    def setUp(self):
        base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.tmp = tempfile.mkdtemp(prefix="quail-qi-", dir=base)
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        self.md = os.path.join(self.tmp, "Mail", "INBOX")
        make_folder(self.md, N)
        self.db = os.path.join(self.home, ".cache", "quail", "index.sqlite")
        self.term = None
        self.lock = None

    def tearDown(self):
        if self.term:
            self.term.close()
        if self.lock and not self.lock.closed:
            self.lock.close()
        for pid in procs_with(self.md):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        reap(self.home)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write_config(self, lines):
        d = os.path.join(self.home, ".config", "quail")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config"), "w") as f:
            f.write("[ui]\n%s\n" % "\n".join(lines))

    def start(self, trace):
        env = {"HOME": self.home, "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
               "XDG_CACHE_HOME": os.path.join(self.home, ".cache"),
               "QUAIL_UI_TRACE": os.path.join(self.tmp, trace)}
        self.term = Term([QUAIL, "-f", self.md], self.rows, self.cols, env=env)
        return self.term

    def trace(self, name):
        try:
            with open(os.path.join(self.tmp, name)) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def indexed_count(self):
        if not os.path.exists(self.db):
            return 0
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=5)
        try:
            r = con.execute("SELECT msgs FROM folder WHERE path = ?",
                            (os.path.realpath(self.md),)).fetchall()
            return r[0][0] if r else 0
        except sqlite3.Error:
            return 0
        finally:
            con.close()

    def wait_for(self, pred, timeout, what):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred():
                return
            time.sleep(0.1)
        self.fail("timed out waiting for " + what)

    def open_and_quit(self, key="q", trace="trace1.log"):
        """Opens the folder and quits as soon as the screen shows it,
        long before its index update can end."""
        t = self.start(trace)
        t.wait(lambda t: "---Quail:" in t.text(), 20, "the index screen")
        t.send(key)
        self.assertEqual(t.wait_exit(20), 0)
        ui_pid = t.pid
        # Nothing holds the terminal any more: once the UI's last bytes
        # are read, the master reads the end of file (EIO); a process
        # that kept the terminal would keep it open.
        self.assertTrue(self.pty_released(t), "the terminal still held")
        self.term.close()
        self.term = None
        return ui_pid

    def pty_released(self, t, timeout=5.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r, _, _ = select.select([t.fd], [], [], 0.1)
            if not r:
                continue
            try:
                if not os.read(t.fd, 65536):
                    return True
            except OSError:
                return True
        return False

    def held_run(self, key):
        """Quits with the detach lock held here, so that the run waits
        for it before its exec; returns (the UI's pid, the run's pid)."""
        os.makedirs(os.path.dirname(self.db), exist_ok=True)
        self.lock = open(self.db + ".detach.lock", "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        ui_pid = self.open_and_quit(key)
        runs = []
        self.wait_for(lambda: runs.extend(procs_with(self.md)) or runs, 10, "the waiting run")
        return ui_pid, runs[0]

    def release(self, pid):
        """Lets the run go, at normal priority where this process may
        say so: at idle priority it would wait for every other test of a
        busy machine, beyond any bound a test can set."""
        try:
            os.sched_setscheduler(pid, os.SCHED_OTHER, os.sched_param(0))
            os.setpriority(os.PRIO_PROCESS, pid, 0)
        except OSError:
            pass
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        self.lock.close()

    def index_runs(self):
        return [p for p in procs_with(self.md) if "index" in cmdline(p)]

    def test_index_finished_after_quit(self):
        _, pid = self.held_run("q")
        self.assertIn("ui: index after quit, 1 folders", self.trace("trace1.log"))
        self.assertIn("ui: index after quit, 1 handed on", self.trace("trace1.log"))
        self.assertLess(self.indexed_count(), N)
        self.release(pid)
        self.wait_for(lambda: self.indexed_count() == N, 60, "the folder indexed")
        self.wait_for(lambda: not procs_with(self.md), 30, "no quail process left")
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        self.assertEqual(con.execute("SELECT count(*) FROM msg").fetchone()[0], N)
        con.close()
        # The next open reads the rows from the index: one batch; its
        # update finds the index current and nothing is carried on.
        t = self.start("trace2.log")
        t.wait(lambda t: "Msgs:%d" % N in t.text() and "reading" not in t.text(), 30,
               "the folder read")
        self.wait_for(lambda: "worker: index update done" in self.trace("trace2.log"), 30,
                      "the update done")
        t.send("q")
        self.assertEqual(t.wait_exit(20), 0)
        trace = self.trace("trace2.log")
        self.assertIn("worker: load done rc=0, 1 batches", trace)
        self.assertNotIn("index after quit", trace)
        self.wait_for(lambda: not procs_with(self.md), 10, "no quail process left")

    def test_off_leaves_index_partial(self):
        self.write_config(["index_after_quit = no"])
        self.open_and_quit("q")
        self.assertNotIn("index after quit", self.trace("trace1.log"))
        # Given time it would have used: still no run, the index partial.
        time.sleep(2)
        self.assertEqual(procs_with(self.md), [])
        self.assertLess(self.indexed_count(), N)

    def test_run_detached_idle_and_quiet(self):
        # The lock of a run before it holds the new one back, so that it
        # can be looked at; it goes on once the lock is free.
        ui_pid, pid = self.held_run("x")
        self.assertNotEqual(pid, ui_pid)
        f = stat_fields(pid)
        # session f[3], tty_nr f[4], nice f[16], policy f[38]
        self.assertEqual(int(f[4]), 0, "a controlling terminal")
        self.assertNotEqual(int(f[3]), os.getsid(0))
        self.assertNotEqual(int(f[3]), pid, "a session leader could take a terminal")
        self.assertEqual(int(f[16]), 19)
        self.assertEqual(int(f[38]), 5)  # SCHED_IDLE
        fds = os.listdir("/proc/%d/fd" % pid)
        for fd in fds:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            self.assertFalse(target.startswith("/dev/pts") or target == "/dev/tty",
                             "fd %s is %s" % (fd, target))
        self.assertLessEqual(len(fds), 4, fds)  # /dev/null three times, the lock
        time.sleep(1)
        self.assertEqual(self.index_runs(), [], "a run while another holds the lock")
        self.release(pid)
        self.wait_for(lambda: self.indexed_count() == N, 60, "the folder indexed")
        self.wait_for(lambda: not procs_with(self.md), 30, "no quail process left")

    def test_mbox_not_indexed(self):
        # The UI indexes Maildirs only: an mbox quit at once leaves none.
        # Five times the folder, so that it is still read at the quit.
        mbox = os.path.join(self.tmp, "big.mbox")
        msgs = []
        for name in sorted(os.listdir(os.path.join(self.md, "cur"))):
            with open(os.path.join(self.md, "cur", name)) as f:
                msgs.append("From x@example.org Thu Jan  1 00:00:00 2026\n" + f.read() + "\n")
        with open(mbox, "w") as out:
            out.write("".join(msgs) * 5)
        self.md = mbox  # what procs_with and tearDown look for
        t = self.start("trace1.log")
        t.send("q")  # waits in the terminal: read at the UI's first look
        self.assertEqual(t.wait_exit(20), 0)
        if "ui: index after quit, 1 folders" not in self.trace("trace1.log"):
            self.skipTest("the mbox was read whole before the quit")
        time.sleep(1)
        self.assertEqual(procs_with(mbox), [])
        self.assertFalse(os.path.exists(self.db + ".detach.lock"))

    def test_interrupt_leaves_nothing(self):
        t = self.start("trace1.log")
        t.wait(lambda t: "---Quail:" in t.text(), 20, "the index screen")
        os.kill(t.pid, signal.SIGTERM)
        t.wait_exit(20)
        self.assertNotIn("index after quit", self.trace("trace1.log"))
        time.sleep(1)
        self.assertEqual(procs_with(self.md), [])

    def child_run(self, ui_pid, stop=False):
        """The UI's own update of the folder: `quail index` in a child;
        with stop, stopped (SIGSTOP) the moment it is seen."""
        end = time.monotonic() + 20
        while time.monotonic() < end:
            for p in self.index_runs():
                try:
                    if int(stat_fields(p)[1]) != ui_pid:  # f[1]: ppid
                        continue
                except OSError:
                    continue
                if stop:
                    os.kill(p, signal.SIGSTOP)
                return p
            time.sleep(0.01)
        self.fail("timed out waiting for the UI's index run")

    def test_current_folder_no_run_after_quit(self):
        # A folder the index holds as it is now needs no run after a quit
        # that cut its open short: one would find nothing to do.
        # Written a minute ago: a folder changed within the last second or
        # so is not taken as current on its mtimes.
        old = time.time() - 60
        for sub in ("cur", "new"):
            os.utime(os.path.join(self.md, sub), (old, old))
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(self.home, ".cache"))
        r = subprocess.run([QUAIL, "index", self.md], env=env, capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        t = self.start("trace1.log")
        t.send("q")  # waits in the terminal: read at the UI's first look
        self.assertEqual(t.wait_exit(20), 0)
        trace = self.trace("trace1.log")
        if "worker: load done rc=0" in trace and "worker: index update done\n" in trace:
            self.skipTest("the open ended before the quit")
        self.assertIn("ui: index after quit, 1 folders", trace)
        self.assertIn("ui: index after quit, 0 handed on", trace)
        time.sleep(1)
        self.assertEqual(procs_with(self.md), [])

    def test_update_in_child(self):
        # A folder shown from its files is indexed by `quail index` in a
        # process of its own: below the UI's priority, no terminal, its
        # progress on the status line, the UI's memory not its.
        t = self.start("trace1.log")
        t.wait(lambda t: "---Quail:" in t.text(), 20, "the index screen")
        pid = self.child_run(t.pid)
        self.assertEqual(cmdline(pid)[1:5], ["index", "--progress-fd", "3", "--"])
        f = stat_fields(pid)
        self.assertEqual(int(f[4]), 0, "a controlling terminal")
        self.assertEqual(int(f[3]), pid, "not a session of its own")
        self.assertEqual(int(f[16]), 10)
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except FileNotFoundError:
                continue  # closed since the listing (a message file read)
            self.assertFalse(target.startswith("/dev/pts") or target == "/dev/tty",
                             "fd %s is %s" % (fd, target))
        t.wait(lambda t: "[indexing " in t.text() or self.indexed_count() == N, 30,
               "progress or the end")
        self.wait_for(lambda: self.indexed_count() == N, 60, "the folder indexed")
        self.wait_for(lambda: "worker: index update done" in self.trace("trace1.log"), 30,
                      "the update done")
        self.assertEqual(self.index_runs(), [], "a run left over")
        t.wait(lambda t: "[indexing " not in t.text(), 10, "the progress gone")
        # The index it wrote answers the UI's search.
        t.send("l")
        t.wait(lambda t: "Limit to messages matching:" in t.text(), 5, "the prompt")
        t.send("~b 2999\r")
        t.wait(lambda t: "Shown:1]" in t.text() and "Q002999" in t.text(), 30, "the limit")
        t.send("q")
        self.assertEqual(t.wait_exit(20), 0)
        self.assertNotIn("index after quit", self.trace("trace1.log"))

    def test_child_waits_for_run_after_quit(self):
        # While a run after a quit holds the lock (held here), the UI's
        # own update waits rather than read the same files beside it.
        os.makedirs(os.path.dirname(self.db), exist_ok=True)
        self.lock = open(self.db + ".detach.lock", "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        t = self.start("trace1.log")
        t.wait(lambda t: "---Quail:" in t.text() and "Msgs:%d" % N in t.text(), 20,
               "the folder read")
        time.sleep(1.5)
        self.assertEqual(self.index_runs(), [], "an index run beside the held lock")
        self.assertEqual(self.indexed_count(), 0)
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        self.lock.close()
        self.wait_for(lambda: self.indexed_count() == N, 60, "the folder indexed")
        self.wait_for(lambda: "worker: index update done\n" in self.trace("trace1.log"), 30,
                      "the update done")
        t.send("q")
        self.assertEqual(t.wait_exit(20), 0)

    def test_leaving_stops_child(self):
        other = os.path.join(self.tmp, "Mail", "Other")
        make_folder(other, 3)
        t = self.start("trace1.log")
        t.wait(lambda t: "---Quail:" in t.text(), 20, "the index screen")
        # Stopped, so that it is still there to be stopped by the UI (a
        # SIGTERM it cannot take until continued, then SIGKILL).
        pid = self.child_run(t.pid, stop=True)
        t.send("c" + other + "\r")
        t.wait(lambda t: "Msgs:3" in t.text(), 20, "the other folder")
        self.wait_for(lambda: gone(pid), 10, "the run stopped")
        self.wait_for(lambda: "worker: index update done, stopped: canceled" in
                      self.trace("trace1.log"), 10, "the update canceled")
        self.assertLess(self.indexed_count(), N)
        t.send("q")
        self.assertEqual(t.wait_exit(20), 0)

    def test_child_killed_ui_goes_on(self):
        # A run that dies (a parser's crash on hostile mail) ends the
        # update, not the UI.
        self.write_config(["index_after_quit = no"])
        t = self.start("trace1.log")
        t.wait(lambda t: "---Quail:" in t.text(), 20, "the index screen")
        pid = self.child_run(t.pid)
        os.kill(pid, signal.SIGKILL)
        self.wait_for(lambda: "worker: index update done, stopped: quail index was ended by "
                      "signal 9" in self.trace("trace1.log"), 20, "the update given up")
        t.send("G")
        t.wait(lambda t: "[indexing " not in t.text(), 10, "the progress gone")
        t.send("q")
        self.assertEqual(t.wait_exit(20), 0)


if __name__ == "__main__":
    QUAIL = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
