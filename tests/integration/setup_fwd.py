#!/usr/bin/env python3
"""Forwards TCP connections from one loopback port to another.

    setup_fwd.py LISTEN_PORT TARGET_PORT [LISTEN_PORT TARGET_PORT]...

For setup-dns.sh: the fixture's servers listen on ports picked at run time,
while probing tries the standard ones (993, 465). The bytes pass through
untouched, so TLS is still between quail and the server. Listens on
127.0.0.1 only; runs until killed.
"""
import socket
import sys
import threading


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(listener, target):
    while True:
        conn, _ = listener.accept()
        try:
            up = socket.create_connection(("127.0.0.1", target), timeout=10)
            up.settimeout(None)
        except OSError:
            conn.close()
            continue
        for a, b in ((conn, up), (up, conn)):
            threading.Thread(target=pump, args=(a, b), daemon=True).start()


def main():
    pairs = [int(a) for a in sys.argv[1:]]
    if not pairs or len(pairs) % 2:
        sys.exit("usage: setup_fwd.py LISTEN_PORT TARGET_PORT...")
    threads = []
    for i in range(0, len(pairs), 2):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", pairs[i]))
        ls.listen(16)
        t = threading.Thread(target=serve, args=(ls, pairs[i + 1]), daemon=True)
        t.start()
        threads.append(t)
    print("ready", flush=True)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
