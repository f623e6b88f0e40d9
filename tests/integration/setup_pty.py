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
kernel ignores Ctrl-Z in a group without one: an orphaned group). That
parent acts as the shell for job control: when the program stops it takes
the terminal back, and on the harness's word it runs `fg` (terminal to the
job, then SIGCONT if the job is stopped, as bash does) or `bg` (SIGCONT
only). An answer made of "<ctrl-z>", "<bg>" and "<fg>" does these in turn:
"<ctrl-z>" types Ctrl-Z and waits until the program has stopped, "<bg>"
continues it in the background and waits until it stops again (a read
from the terminal there stops it with SIGTTIN); each wait adds the
terminal's echo flag to TRANSCRIPT.jobs ("stopped (SIGTSTP): echo on",
"stopped in the background (SIGTTIN): echo on", or "...: not stopped").
An answer starting "<echo?>" adds the flag ("echo off") to
TRANSCRIPT.jobs, then types the rest.
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


def run_as_job(argv, orders, events):
    """In the pty's session leader: runs argv as the foreground job, does
    what the harness orders ("fg", "bg"), tells it each stop ("stopped N",
    N the signal) and exits with the job's status."""
    child = os.fork()
    if child == 0:
        os.close(orders)
        os.close(events)
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
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    is_stopped = False
    while True:
        r, _, _ = select.select([orders], [], [], 0.02)
        for order in (os.read(orders, 64).decode().split() if r else []):
            if order == "fg":
                os.tcsetpgrp(0, child)
            if is_stopped:
                is_stopped = False
                os.killpg(child, signal.SIGCONT)
        done, st = os.waitpid(child, os.WNOHANG | os.WUNTRACED)
        if not done:
            continue
        if os.WIFSTOPPED(st):
            is_stopped = True
            os.tcsetpgrp(0, os.getpgrp())  # the shell has the terminal again
            os.write(events, b"stopped %d\n" % os.WSTOPSIG(st))
            continue
        code = os.waitstatus_to_exitcode(st)
        os._exit(code if code >= 0 else 128 - code)


def wait_stopped(fd, events, what, jobs):
    """Waits for the shell's word that the job stopped; notes the signal
    and the terminal's echo flag at that moment."""
    r, _, _ = select.select([events], [], [], WAIT)
    line = os.read(events, 64).decode().split() if r else []
    if len(line) != 2:
        jobs.append(what + ": not stopped")
        return
    name = signal.Signals(int(line[1])).name
    jobs.append("%s (%s): %s" % (what, name, echo_state(fd)))


def job_control(fd, orders, events, answer, jobs):
    """Ctrl-Z, bg and fg as a user at a shell would do them."""
    for step in re.findall(r"<(ctrl-z|bg|fg)>", answer):
        if step == "ctrl-z":
            os.write(fd, b"\x1a")
            wait_stopped(fd, events, "stopped", jobs)
        elif step == "bg":
            os.write(orders, b"bg\n")
            wait_stopped(fd, events, "stopped in the background", jobs)
        else:
            os.write(orders, b"fg\n")


def main():
    script, transcript = sys.argv[1], sys.argv[2]
    argv = sys.argv[sys.argv.index("--") + 1:]
    with open(script, encoding="utf-8") as f:
        lines = f.read().split("\n")
    steps = [(lines[i], lines[i + 1]) for i in range(0, len(lines) - 1, 2) if lines[i]]
    orders_r, orders_w = os.pipe()
    events_r, events_w = os.pipe()
    pid, fd = pty.fork()
    if pid == 0:
        os.close(orders_w)
        os.close(events_r)
        run_as_job(argv, orders_r, events_w)
    os.close(orders_r)
    os.close(events_w)
    seen = bytearray()
    status = 0
    jobs = []
    for pattern, answer in steps:
        if not read_until(fd, pattern, seen):
            sys.stderr.write("setup_pty: timed out waiting for %r\n" % pattern)
            status = 124
            break
        if re.fullmatch(r"(<(ctrl-z|bg|fg)>)+", answer):
            job_control(fd, orders_w, events_r, answer, jobs)
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
