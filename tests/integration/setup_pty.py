#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal and answers its prompts.

    setup_pty.py SCRIPT TRANSCRIPT -- command [args...]

SCRIPT holds pairs of lines: a regular expression to wait for in what the
program wrote to the terminal since the last answer, then the line to type
(the empty line types just Enter; "<ctrl-c>", repeated, types that many
Ctrl-C in one write and no Enter). TRANSCRIPT gets everything the program
wrote to the terminal (for checks that a secret was not echoed). Each wait
is bounded (10 s); the exit status is the program's, or 124 on a timeout.
TRANSCRIPT.echo gets "echo on" or "echo off": the terminal's echo flag once
the program has ended.

The program runs as a shell would run it: in a process group of its own,
the terminal's foreground group, with a parent in the same session (the
kernel ignores Ctrl-Z in a group without one: an orphaned group). The
answer "<ctrl-z>" types Ctrl-Z, waits until the program has stopped, adds
the terminal's echo flag ("stopped: echo on") to TRANSCRIPT.jobs, and
continues it with SIGCONT as `fg` would. An answer starting "<echo?>" adds
the flag ("echo off") to TRANSCRIPT.jobs, then types the rest.
"""
import os
import pty
import re
import select
import signal
import sys
import termios
import time

WAIT = 10.0


def read_until(fd, pattern, seen):
    deadline = time.monotonic() + WAIT
    rx = re.compile(pattern.encode())
    start = len(seen)
    while not rx.search(seen, start):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            return False
        if not data:
            return False
        seen += data
    return True


def echo_state(fd):
    """The terminal's echo flag; on Linux the master side reads it."""
    try:
        lflag = termios.tcgetattr(fd)[3]
    except termios.error as e:
        return "unknown: %s" % e
    return "echo on" if lflag & termios.ECHO else "echo off"


def run_as_job(argv):
    """In the pty's session leader: runs argv as the foreground job and
    exits with its status."""
    child = os.fork()
    if child == 0:
        os.setpgid(0, 0)
        # Taking the terminal from a background group needs SIGTTOU ignored.
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        os.tcsetpgrp(0, os.getpid())
        signal.signal(signal.SIGTTOU, signal.SIG_DFL)
        os.execvp(argv[0], argv)
    try:
        os.setpgid(child, child)
    except OSError:
        pass  # the child did it first
    while True:
        _, st = os.waitpid(child, 0)
        if os.WIFEXITED(st) or os.WIFSIGNALED(st):
            code = os.waitstatus_to_exitcode(st)
            os._exit(code if code >= 0 else 128 - code)


def stopped(pid):
    """True when the process is stopped (state T in /proc)."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("T", "t")
    except OSError:
        return False


def ctrl_z(fd, jobs):
    """Ctrl-Z, then what `fg` does once the job has stopped."""
    os.write(fd, b"\x1a")
    job = os.tcgetpgrp(fd)
    deadline = time.monotonic() + WAIT
    while not stopped(job):
        if time.monotonic() > deadline:
            jobs.append("not stopped")
            return
        time.sleep(0.02)
    jobs.append("stopped: " + echo_state(fd))
    os.killpg(job, signal.SIGCONT)


def main():
    script, transcript = sys.argv[1], sys.argv[2]
    argv = sys.argv[sys.argv.index("--") + 1:]
    with open(script, encoding="utf-8") as f:
        lines = f.read().split("\n")
    steps = [(lines[i], lines[i + 1]) for i in range(0, len(lines) - 1, 2) if lines[i]]
    pid, fd = pty.fork()
    if pid == 0:
        run_as_job(argv)
    seen = bytearray()
    status = 0
    jobs = []
    for pattern, answer in steps:
        if not read_until(fd, pattern, seen):
            sys.stderr.write("setup_pty: timed out waiting for %r\n" % pattern)
            status = 124
            break
        if answer == "<ctrl-z>":
            ctrl_z(fd, jobs)
            continue
        if answer.startswith("<echo?>"):
            jobs.append(echo_state(fd))
            answer = answer[len("<echo?>"):]
        ctrl_c = answer.count("<ctrl-c>")
        if ctrl_c and answer == "<ctrl-c>" * ctrl_c:
            os.write(fd, b"\x03" * ctrl_c)
        else:
            os.write(fd, answer.encode() + b"\r")
    # Drain what is left until the program ends (bounded).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            seen += data
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            pid = 0
            if status == 0:
                status = os.waitstatus_to_exitcode(st)
            break
    # The terminal closed: the program is ending; give it a moment.
    deadline = time.monotonic() + 10
    while pid and time.monotonic() < deadline:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            pid = 0
            if status == 0:
                status = os.waitstatus_to_exitcode(st)
            break
        time.sleep(0.05)
    if pid:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        status = 124
    with open(transcript, "wb") as f:
        f.write(bytes(seen))
    with open(transcript + ".echo", "w", encoding="utf-8") as f:
        f.write(echo_state(fd) + "\n")
    with open(transcript + ".jobs", "w", encoding="utf-8") as f:
        f.write("".join(j + "\n" for j in jobs))
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
