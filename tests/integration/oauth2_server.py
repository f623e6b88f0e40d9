#!/usr/bin/env python3
"""A small OAuth 2 provider on 127.0.0.1 for quail's tests.

    oauth2_server.py CERT KEY PORTFILE LOG [EXPIRES_IN]

HTTPS (CERT, KEY) on a free port written to PORTFILE, and plain HTTP on
another (the second line of PORTFILE) for Dovecot's introspection:
  POST /device      RFC 8628 §3.2: device_code, user_code, interval 1
  POST /token       the device_code grant: authorization_pending once,
                    then tokens (access "at-1", refresh "rt-1",
                    expires_in EXPIRES_IN, default 3600); the refresh_token
                    grant: a new access token "at-N"
  POST /introspect  RFC 7662: active for tokens handed out, with
                    username alice
Every request is logged to LOG as one line: path, then the form fields
sorted (client_secret and tokens as they are: they are test values).

LOG.mode, when there, is read on each request: a JSON object whose
"refresh" says how the refresh_token grant is answered:
  "ok"         (the default) as above
  "revoked"    400 invalid_grant, and every token handed out is forgotten,
               so the server refuses the old access token too
  "text"       200, text/plain, not JSON
  "truncated"  200, application/json cut in the middle
  "html"       502, an HTML error page
"accept" maps more access tokens to the time (epoch seconds) after which
introspection calls them inactive, and "slow" maps access tokens to
seconds their introspection sleeps, after the answer is decided (a slow
login, so that a token expires within one run).
"""
import http.server
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse

CERT, KEY, PORTFILE, LOG = sys.argv[1:5]
EXPIRES_IN = int(sys.argv[5]) if len(sys.argv) > 5 else 3600
state = {"polls": 0, "n": 1, "issued": set()}
lock = threading.Lock()


def mode():
    try:
        with open(LOG + ".mode", encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, obj, ctype="application/json"):
        body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
        with lock:
            with open(LOG, "a", encoding="utf-8") as f:
                f.write(self.path + " " + " ".join(f"{k}={form[k]}" for k in sorted(form)) + "\n")
            self.handle_form(form)

    def handle_form(self, form):
        if self.path == "/device":
            self.reply(200, {"device_code": "dev-1", "user_code": "WDJB-MJHT",
                             "verification_uri": "https://127.0.0.1/device",
                             "expires_in": 60, "interval": 1})
        elif self.path == "/token" and form.get("grant_type") == \
                "urn:ietf:params:oauth:grant-type:device_code":
            if form.get("device_code") != "dev-1":
                self.reply(400, {"error": "invalid_grant"})
                return
            state["polls"] += 1
            if state["polls"] == 1:
                self.reply(400, {"error": "authorization_pending"})
                return
            state["issued"].add("at-1")
            self.reply(200, {"access_token": "at-1", "refresh_token": "rt-1",
                             "expires_in": EXPIRES_IN, "token_type": "Bearer"})
        elif self.path == "/token" and form.get("grant_type") == "refresh_token":
            refresh = mode().get("refresh", "ok")
            if refresh == "revoked":
                state["issued"].clear()
                self.reply(400, {"error": "invalid_grant",
                                 "error_description": "Token has been revoked."})
                return
            if refresh == "text":
                self.reply(200, b"access_token=at-99&expires_in=3600\n", "text/plain")
                return
            if refresh == "truncated":
                self.reply(200, b'{"access_token": "at-99", "expi')
                return
            if refresh == "html":
                self.reply(502, b"<html><body><h1>502 Bad Gateway</h1>\x1b[2J</body></html>\n",
                           "text/html")
                return
            if form.get("refresh_token") != "rt-1":
                self.reply(400, {"error": "invalid_grant"})
                return
            state["n"] += 1
            tok = "at-%d" % state["n"]
            state["issued"].add(tok)
            self.reply(200, {"access_token": tok, "expires_in": 3600, "token_type": "Bearer"})
        elif self.path == "/introspect":
            m = mode()
            tok = form.get("token")
            until = m.get("accept", {}).get(tok)
            ok = tok in state["issued"] or (until is not None and time.time() < until)
            delay = m.get("slow", {}).get(tok)
            if delay:
                lock.release()
                time.sleep(delay)
                lock.acquire()
            self.reply(200, {"active": True, "username": "alice"} if ok else {"active": False})
        else:
            self.reply(404, {"error": "not_found"})


def main():
    tls = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=plain.serve_forever, daemon=True).start()
    with open(PORTFILE + ".tmp", "w", encoding="utf-8") as f:
        f.write("%d\n%d\n" % (tls.server_address[1], plain.server_address[1]))
    os.rename(PORTFILE + ".tmp", PORTFILE)
    tls.serve_forever()


if __name__ == "__main__":
    main()
