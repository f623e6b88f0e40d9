"""Runs quail's UI in a pseudo-terminal and reads its screen with pyte.

Every wait is bounded; the child is killed when a test ends.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time

import pyte


class Term:
    def __init__(self, argv, rows=24, cols=80, env=None, cwd=None):
        self.rows, self.cols = rows, cols
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        pid, fd = pty.fork()
        if pid == 0:
            e = dict(os.environ)
            e.update({"TERM": "xterm-256color", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"})
            e.pop("COLUMNS", None)
            e.pop("LINES", None)
            if env:
                e.update(env)
            if cwd:
                os.chdir(cwd)
            try:
                os.execve(argv[0], argv, e)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self._winsize(rows, cols)
        self.status = None
        self.raw = bytearray()  # every byte the program wrote, in order

    def _winsize(self, rows, cols):
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def resize(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.screen.resize(rows, cols)
        self._winsize(rows, cols)
        os.kill(self.pid, signal.SIGWINCH)

    def pump(self, timeout=0.05):
        """Reads what is there (waiting at most timeout for the first byte)."""
        got = False
        while True:
            r, _, _ = select.select([self.fd], [], [], timeout)
            if not r:
                return got
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return got
            if not data:
                return got
            self.stream.feed(data)
            self.raw += data
            got = True
            timeout = 0.02

    def send(self, keys):
        if isinstance(keys, str):
            keys = keys.encode()
        os.write(self.fd, keys)

    def text(self):
        return "\n".join(self.screen.display)

    def line(self, y):
        return self.screen.display[y]

    def reverse_rows(self):
        out = []
        for y in range(self.rows):
            row = self.screen.buffer[y]
            if any(row[x].reverse for x in range(min(self.cols, 40))):
                out.append(y)
        return out

    def wait(self, pred, timeout=10.0, what="condition"):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0.05)
            if pred(self):
                # let the program finish drawing, then check again
                self.pump(0.05)
                if pred(self):
                    return
        raise AssertionError("timed out waiting for %s; screen:\n%s" % (what, self.text()))

    def wait_text(self, s, timeout=10.0):
        self.wait(lambda t: s in t.text(), timeout, repr(s))

    def settle(self, quiet=0.2, timeout=5.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.pump(quiet):
                return

    def wait_exit(self, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0.05)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                return os.waitstatus_to_exitcode(status)
        raise AssertionError("quail did not exit; screen:\n" + self.text())

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.status = -9
        try:
            os.close(self.fd)
        except OSError:
            pass


def reap(home):
    """Kills what quail left running with HOME=home (the index run a quit
    starts in the background), so that it does not outlive the test's
    directory and make its cache directory again."""
    mark = ("HOME=" + home).encode()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % d, "rb") as f:
                if mark not in f.read().split(b"\0"):
                    continue
            os.kill(int(d), signal.SIGKILL)
        except OSError:
            pass
