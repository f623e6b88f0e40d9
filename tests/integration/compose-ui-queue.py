"""Drives quail's UI for compose-ui-queue.sh: a reply sent with y while
nothing listens on the account's SMTP port is queued; then a relay to
Postfix opens on that port and the UI's own retry must send it.

Usage: compose-ui-queue.py QUAIL UI_TEST_DIR FX_DIR PORT UPSTREAM_PORT INBOX.
Exits 0 when the screen said queued, the original had no R while the
reply waited, the retry reported "Sent 1 queued message." and the
original got R then. Every wait is bounded.
"""
import json
import os
import socket
import sys
import threading

sys.path.insert(0, sys.argv[2])
from harness import Term  # noqa: E402

quail, ui, fx = sys.argv[1:4]
port, upstream, inbox = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
ed = os.path.join(fx, "editor")
os.makedirs(ed, exist_ok=True)
with open(os.path.join(ed, "mode"), "w") as f:
    json.dump({"body": "Noon is fine.\n"}, f)


def pump(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay(listener):
    """Joins each connection to Postfix's submission port, byte for byte."""
    while True:
        try:
            c, _ = listener.accept()
        except OSError:
            return
        u = socket.create_connection(("127.0.0.1", upstream), timeout=10)
        u.settimeout(None)
        for a, b in ((c, u), (u, c)):
            threading.Thread(target=pump, args=(a, b), daemon=True).start()


def replied():
    return any(":2," in n and "R" in n.split(":2,", 1)[1] for n in os.listdir(inbox))


env = {"QUAIL_TEST_EDITOR_DIR": ed, "HOME": fx}
t = Term([quail, "-f", "=INBOX"], 24, 100, env=env)
try:
    t.wait(lambda t: "Lunch plans" in t.text(), 20, "the index")
    t.send("r")
    t.wait(lambda t: "-- Quail: Compose" in t.text() and "Re: Lunch plans" in t.text(), 10,
           "compose (reply)")
    t.send("y")
    t.wait(lambda t: "1 queued: retrying in 30 s." in t.text(), 60, "the reply queued")
    if replied():
        print("the original got R while its reply was only queued: %r" % os.listdir(inbox))
        sys.exit(1)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(5)
    threading.Thread(target=relay, args=(listener,), daemon=True).start()
    t.wait(lambda t: "Sent 1 queued message." in t.text(), 90, "the retry sent it")
    if not replied():
        print("the original has no R after its reply went out: %r" % os.listdir(inbox))
        sys.exit(1)
    t.send("q")
    sys.exit(t.wait_exit(10))
except AssertionError as e:
    print(e)
    sys.exit(1)
finally:
    t.close()
