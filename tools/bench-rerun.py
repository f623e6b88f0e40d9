#!/usr/bin/env python3
"""Times a re-run of `quail fetch --imap` against mbsync's re-run.

The shared network benchmark (bench/net/run-network.sh) times first
downloads only. This measures what a user pays on every later run:
nothing new on the server, and a run after flags changed there. It uses
a fixture the benchmark's servers/ scripts started and populated, e.g.

    NETBENCH_DIR=/tmp/nb servers/start-all.sh
    NETBENCH_DIR=/tmp/nb servers/populate.sh -n 20000
    NETBENCH_DIR=/tmp/nb tools/bench-rerun.py build/quail

Both clients get the same account, the same server and the password the
same way (in their config); quail is also timed with password_command, as
the benchmark runs it. Each client first syncs once (untimed), then runs
RUNS times with nothing new; the medians and their ratio are printed, with
the floor: a minimal TLS client doing only connect, AUTHENTICATE, the
LIST-STATUS quail sends, and LOGOUT. With --flags, ROUNDS rounds then
change flags on 1,000 messages with doveadm and time one run of each.
"""
import argparse
import base64
import os
import socket
import ssl
import statistics
import subprocess
import sys
import time


def env(name, default):
    return os.environ.get(name, default)


NB = env("NETBENCH_DIR", "/tmp/quail-netbench")
PORT = int(env("IMAPS_PORT", "10993"))
PW = env("BENCH_PASSWORD", "secret")
CA = os.path.join(NB, "tls", "ca.pem")
DOVECOT_CONF = os.path.join(NB, "dovecot", "dovecot.conf")


def write(path, text, mode=0o600):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


def setup(work):
    """Configs for mbsync and quail under work/; returns the commands."""
    os.makedirs(os.path.join(work, "mbsync", "mail"), exist_ok=True)
    os.makedirs(os.path.join(work, "cfg", "quail"), mode=0o700, exist_ok=True)
    m = os.path.join(work, "mbsync")
    write(m + "/mbsyncrc", f"""IMAPAccount bench
Host localhost
Port {PORT}
User bench
Pass {PW}
SSLType IMAPS
CertificateFile {CA}

IMAPStore remote
Account bench

MaildirStore local
Path {m}/mail/
Inbox {m}/mail/INBOX
SubFolders Verbatim

Channel bench
Far :remote:
Near :local:
Patterns *
Create Near
Sync Pull
SyncState *
""")
    qdir = os.path.join(work, "quail-mail")
    write(os.path.join(work, "cfg", "quail", "config"), f"""[account bench]
imap = imaps://127.0.0.1:{PORT}
user = bench
password = {PW}
ca_file = {CA}
maildir = {qdir}

[account bench-cmd]
imap = imaps://127.0.0.1:{PORT}
user = bench
password_command = echo {PW}
ca_file = {CA}
maildir = {qdir}
""")
    qenv = dict(os.environ, XDG_CONFIG_HOME=os.path.join(work, "cfg"))
    return {
        "quail": ([QUAIL, "fetch", "--account", "bench", "--all-folders", "--quiet"], qenv),
        "quail (password_command)":
            ([QUAIL, "fetch", "--account", "bench-cmd", "--all-folders", "--quiet"], qenv),
        "mbsync": (["mbsync", "-q", "-c", m + "/mbsyncrc", "-a"], None),
    }


def once(cmd):
    argv, e = cmd
    t = time.perf_counter()
    r = subprocess.run(argv, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"{argv[0]} failed ({r.returncode}): {r.stderr.decode(errors='replace')}")
    return dt


def floor_once():
    """connect + TLS + greeting, AUTHENTICATE PLAIN, LIST-STATUS, LOGOUT."""
    ctx = ssl.create_default_context(cafile=CA)
    t = time.perf_counter()
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", PORT)),
                        server_hostname="127.0.0.1")
    f = s.makefile("rb")
    f.readline()
    ir = base64.b64encode(b"\0bench\0" + PW.encode()).decode()
    for tag, cmd in (("a", "AUTHENTICATE PLAIN " + ir),
                     ("b", 'LIST "" "*" RETURN (STATUS (MESSAGES UIDVALIDITY UIDNEXT '
                           'HIGHESTMODSEQ))'),
                     ("c", "LOGOUT")):
        s.sendall(f"{tag} {cmd}\r\n".encode())
        while not f.readline().startswith(tag.encode() + b" "):
            pass
    s.close()
    return time.perf_counter() - t


def ms(x):
    return f"{x * 1000:.1f}"


def main():
    global QUAIL
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("quail")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--flags", action="store_true", help="also time runs after flag changes")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(NB, "rerun"))
    a = ap.parse_args()
    QUAIL = os.path.abspath(a.quail)
    cmds = setup(a.work)
    for name in ("quail", "mbsync"):
        print(f"first sync with {name} (untimed) ...", file=sys.stderr)
        once(cmds[name])
    rows = {}
    for name, cmd in cmds.items():
        once(cmd)  # warm
        rows[name] = [once(cmd) for _ in range(a.runs)]
    rows["floor: connect, AUTH, LIST-STATUS, LOGOUT"] = [floor_once() for _ in range(a.runs)]
    mb = statistics.median(rows["mbsync"])
    print(f"\nre-run with nothing new, {a.runs} runs each (ms)\n")
    print("| client | median | min | max | mbsync / client |")
    print("|---|---|---|---|---|")
    for name, v in rows.items():
        med = statistics.median(v)
        print(f"| {name} | {ms(med)} | {ms(min(v))} | {ms(max(v))} | {mb / med:.1f}x |")
    if not a.flags:
        return
    def flag(op):
        subprocess.run(["doveadm", "-c", DOVECOT_CONF, "flags", op, "-u", "bench", "\\Flagged",
                        "mailbox", "INBOX", "uid", "1:1000"], check=True)

    # From a known state: none of the 1,000 flagged, both clients synced.
    flag("remove")
    once(cmds["quail"])
    once(cmds["mbsync"])
    print(f"\nre-run after flags changed on 1,000 messages (INBOX), {a.rounds} rounds (ms)\n")
    print("| round | quail | mbsync |")
    print("|---|---|---|")
    for r in range(a.rounds):
        op = "add" if r % 2 == 0 else "remove"
        flag(op)
        print(f"| {r + 1} ({op} \\Flagged) | {ms(once(cmds['quail']))} | "
              f"{ms(once(cmds['mbsync']))} |")


if __name__ == "__main__":
    main()
