#!/usr/bin/env python3
"""A mail server on 127.0.0.1 that resets the connection while quail writes.

    dropserver.py PROTO [CERT KEY]

PROTO is smtp (drops during DATA, after 64 KiB of the message), pop3 or
imap (drop after the first command), imap-append (answers OK to every
command, drops during an APPEND's literal, after 64 KiB of it) or smtp-ok
(a server that takes the message, for a Save to Sent that follows). With CERT and KEY the server speaks
implicit TLS. It prints "port N" once it listens, serves one connection at
a time, and ends after 120 s. The drop is an abortive close (SO_LINGER 0):
the client's next write meets a reset connection, where a client without
MSG_NOSIGNAL / GNUTLS_NO_SIGNAL dies of SIGPIPE. Test-only code.
"""
import signal
import socket
import ssl
import struct
import sys


def lines(f):
    while True:
        line = f.readline(65536)
        if not line:
            return
        yield line


def reset(conn):
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def smtp(conn, f):
    def say(s):
        conn.sendall(s.encode() + b"\r\n")
    say("220 drop.test ESMTP")
    for line in lines(f):
        cmd = line.strip().upper()
        if cmd.startswith(b"EHLO"):
            say("250-drop.test")
            say("250 8BITMIME")
        elif cmd.startswith(b"DATA"):
            say("354 go ahead")
            got = 0
            while got < 65536:
                b = f.read(4096)
                if not b:
                    break
                got += len(b)
            return
        else:
            say("250 ok")


def pop3(conn, f):
    conn.sendall(b"+OK drop.test ready\r\n")
    f.readline(65536)


def imap(conn, f):
    conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] drop.test\r\n")
    f.readline(65536)


def smtp_ok(conn, f):
    def say(s):
        conn.sendall(s.encode() + b"\r\n")
    say("220 ok.test ESMTP")
    for line in lines(f):
        cmd = line.strip().upper()
        if cmd.startswith(b"EHLO"):
            say("250-ok.test")
            say("250-AUTH PLAIN")
            say("250 8BITMIME")
        elif cmd.startswith(b"AUTH"):
            say("235 2.7.0 ok")
        elif cmd.startswith(b"DATA"):
            say("354 go ahead")
            for data in lines(f):
                if data in (b".\r\n", b".\n"):
                    break
            say("250 2.0.0 queued")
        elif cmd.startswith(b"QUIT"):
            say("221 bye")
            return
        else:
            say("250 ok")


def imap_append(conn, f):
    caps = b"IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+"
    conn.sendall(b"* OK [CAPABILITY " + caps + b"] drop.test\r\n")
    for line in lines(f):
        words = line.split(b" ")
        tag = words[0]
        verb = words[1].strip().upper() if len(words) > 1 else b""
        if verb == b"APPEND":
            if not line.rstrip().endswith(b"+}"):
                conn.sendall(b"+ go ahead\r\n")
            got = 0
            while got < 65536:
                b = f.read(4096)
                if not b:
                    break
                got += len(b)
            return
        if verb == b"CAPABILITY":
            conn.sendall(b"* CAPABILITY " + caps + b"\r\n")
        conn.sendall(tag + b" OK done\r\n")


def main():
    signal.alarm(120)
    proto = {"smtp": smtp, "pop3": pop3, "imap": imap, "imap-append": imap_append,
             "smtp-ok": smtp_ok}[sys.argv[1]]
    ctx = None
    if len(sys.argv) > 3:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    print("port %d" % srv.getsockname()[1], flush=True)
    while True:
        conn, _ = srv.accept()
        try:
            if ctx:
                conn = ctx.wrap_socket(conn, server_side=True)
            f = conn.makefile("rb")
            proto(conn, f)
            f.close()
        except (OSError, ssl.SSLError):
            pass
        try:
            reset(conn)
        except OSError:
            pass


if __name__ == "__main__":
    main()
