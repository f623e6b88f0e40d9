#!/usr/bin/python3
"""The floor of a no-change IMAP sync against one server: the least any
client that logs in must wait for, timed phase by phase in one process (no
process start: time `quail --version` for that).

Each run opens a connection to HOST:PORT over implicit TLS, verified
against CA, and times: the TCP connect, the TLS handshake, the greeting,
LOGIN until its tagged OK, one LIST-STATUS (RFC 5819) of every folder, and
LOGOUT until its tagged OK. "total" is connect to LOGOUT's OK, "nowait" is
the same ending when LOGOUT was written (a client that closes without
waiting for the reply, RFC 9051 6.1.3), "bare" leaves out the LIST too
(connect, log in, log out: no client can do less).

Runs alternate between a full handshake and one resuming the previous
run's session (when the server let it resume: Dovecot's imap-login only
does with service_count = 0). Prints one line per run and the medians.
MECH SCRAM-SHA-256 logs in with AUTHENTICATE SCRAM-SHA-256 (RFC 7677, with
SASL-IR: two round trips and a PBKDF2 on each side) in place of LOGIN, as
quail does when the server offers it: the difference is what that costs.
Usage: bench-floor.py HOST PORT CA USER PASSWORD [RUNS] [MECH]
"""
import base64
import hashlib
import hmac
import os
import socket
import ssl
import statistics
import sys
import time

LIST = (b'b LIST "" "*" RETURN (STATUS (MESSAGES UIDNEXT UIDVALIDITY'
        b' HIGHESTMODSEQ))\r\n')


def quote(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def until_tag(f, tag):
    """Reads lines until the tagged reply of tag; returns it."""
    while True:
        line = f.readline()
        if not line:
            raise SystemExit('server closed the connection')
        if line.startswith(tag + b' '):
            return line


def b64(b):
    return base64.b64encode(b).decode()


def scram(s, f, user, password):
    """AUTHENTICATE SCRAM-SHA-256 (RFC 5802 section 3, RFC 7677); True on OK."""
    name = user.replace('=', '=3D').replace(',', '=2C')
    first = 'n=%s,r=%s' % (name, b64(os.urandom(18)))
    s.sendall(('a AUTHENTICATE SCRAM-SHA-256 %s\r\n' % b64(b'n,,' + first.encode())).encode())
    line = f.readline()
    if not line.startswith(b'+ '):
        return False
    server_first = base64.b64decode(line[2:].strip()).decode()
    attrs = dict(kv.split('=', 1) for kv in server_first.split(','))
    salted = hashlib.pbkdf2_hmac('sha256', password.encode(),
                                 base64.b64decode(attrs['s']), int(attrs['i']))
    client_key = hmac.new(salted, b'Client Key', 'sha256').digest()
    final = 'c=biws,r=' + attrs['r']
    auth = ('%s,%s,%s' % (first, server_first, final)).encode()
    sig = hmac.new(hashlib.sha256(client_key).digest(), auth, 'sha256').digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    s.sendall((b64((final + ',p=' + b64(proof)).encode()) + '\r\n').encode())
    line = f.readline()
    if line.startswith(b'+ '):  # the server's signature: nothing more to say
        s.sendall(b'\r\n')
        line = until_tag(f, b'a')
    return line.startswith(b'a OK')


def one(host, port, ctx, user, password, session, mech):
    t = [time.perf_counter()]
    raw = socket.create_connection((host, port))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t.append(time.perf_counter())
    s = ctx.wrap_socket(raw, server_hostname='localhost', session=session)
    t.append(time.perf_counter())
    f = s.makefile('rb')
    if not f.readline().startswith(b'* OK'):
        raise SystemExit('no OK greeting')
    t.append(time.perf_counter())
    if mech == 'SCRAM-SHA-256':
        if not scram(s, f, user, password):
            raise SystemExit('AUTHENTICATE SCRAM-SHA-256 failed')
    else:
        s.sendall(('a LOGIN %s %s\r\n' % (quote(user), quote(password))).encode())
        if not until_tag(f, b'a').startswith(b'a OK'):
            raise SystemExit('LOGIN failed')
    t.append(time.perf_counter())
    s.sendall(LIST)
    until_tag(f, b'b')
    t.append(time.perf_counter())
    s.sendall(b'c LOGOUT\r\n')
    t.append(time.perf_counter())
    until_tag(f, b'c')
    t.append(time.perf_counter())
    resumed = s.session_reused
    sess = s.session
    f.close()
    s.close()
    ms = [(t[i + 1] - t[i]) * 1000 for i in range(len(t) - 1)]
    total = (t[-1] - t[0]) * 1000
    nowait = (t[-2] - t[0]) * 1000
    bare = total - ms[4]
    return resumed, ms, total, nowait, bare, sess


def main():
    if len(sys.argv) < 6:
        raise SystemExit(__doc__)
    host, port, ca, user, password = sys.argv[1:6]
    runs = int(sys.argv[6]) if len(sys.argv) > 6 else 7
    mech = sys.argv[7] if len(sys.argv) > 7 else 'LOGIN'
    ctx = ssl.create_default_context(cafile=ca)
    names = ['connect', 'tls', 'greeting', 'login', 'list', 'logout-write',
             'logout-reply']
    rows = {False: [], True: []}
    session = None
    for i in range(2 * runs):
        offer = session if i % 2 else None
        resumed, ms, total, nowait, bare, session = one(
            host, int(port), ctx, user, password, offer, mech)
        print('run %d %s: %s total %.2f nowait %.2f bare %.2f' % (
            i // 2 + 1, 'resumed' if resumed else 'full',
            ' '.join('%s %.2f' % (n, v) for n, v in zip(names, ms)),
            total, nowait, bare))
        rows[resumed].append((ms, total, nowait, bare))
    for resumed, r in rows.items():
        if not r:
            continue
        med = [statistics.median(x[0][k] for x in r) for k in range(len(names))]
        print('floor %s %s (median of %d): %s total %.1f nowait %.1f bare %.1f ms' % (
            'resumed' if resumed else 'full', mech, len(r),
            ' '.join('%s %.2f' % (n, v) for n, v in zip(names, med)),
            statistics.median(x[1] for x in r), statistics.median(x[2] for x in r),
            statistics.median(x[3] for x in r)))


if __name__ == '__main__':
    main()
