"""Drives quail's UI for sync-ui.sh: the background sync of the open folder.

Usage: sync-ui.py QUAIL UI_TEST_DIR FX_DIR STEP_DIR. Between steps it
waits for the shell to act on the server: it writes STEP_DIR/NAME.ready
and waits for STEP_DIR/NAME.done. Prints "measure KEY MS" lines; exits 0
when every step saw what it should. Every wait is bounded.
"""
import os
import re
import sys
import time

sys.path.insert(0, sys.argv[2])
from harness import Term  # noqa: E402

quail, ui, fx, steps = sys.argv[1:5]


def handshake(t, name, timeout=120):
    open(os.path.join(steps, name + ".ready"), "w").close()
    end = time.monotonic() + timeout
    while not os.path.exists(os.path.join(steps, name + ".done")):
        if time.monotonic() > end:
            raise AssertionError("the shell did not do " + name)
        t.pump(0.1)


def rows_with(t, s):
    return [line for line in t.screen.display[:-1] if s in line]


def flagged(t, s):
    r = rows_with(t, s)
    return bool(r) and "!" in r[0][:10]


def cursor_ys(t):
    # the help line on top and the status bar above the bottom are
    # reverse too
    return [y for y in t.reverse_rows() if 0 < y < t.rows - 2]


def cursor_row(t):
    r = cursor_ys(t)
    return t.line(r[0]) if r else ""


def put_cursor_on(t, s):
    for _ in range(10):
        rows = t.screen.display
        at = [y for y in range(t.rows - 1) if s in rows[y]]
        cur = cursor_ys(t)
        if not at or not cur:
            raise AssertionError("no row %r or no cursor" % s)
        if at[0] == cur[0]:
            return
        t.send("j" if at[0] > cur[0] else "k")
        t.settle(0.2, 3)
    raise AssertionError("the cursor did not reach %r" % s)


def msgs_shown(t):
    m = re.search(r"\[Msgs:(\d+)", t.text())
    return int(m.group(1)) if m else 0


def status(t):
    return t.line(t.rows - 1)


def now_ms():
    return int(time.monotonic() * 1000)


t = Term([quail, "-f", "=INBOX"], 24, 100, env={"HOME": fx})
try:
    # 1. sync_on_open brings the server's 5 messages without a key.
    t.wait(lambda t: len(rows_with(t, "(seed 1)")) == 5, 30, "5 synced rows")
    t.wait(lambda t: "sync: +5" in status(t), 10, "the sync result")
    # 2. a delivery on the server: IDLE asks for a sync, the row shows;
    # the rows read again keep the cursor on its message.
    put_cursor_on(t, "m 4 (seed 1)")
    handshake(t, "deliver")
    t0 = now_ms()
    t.wait(lambda t: rows_with(t, "Live delivery"), 10, "the delivered message (IDLE)")
    print("measure idle_to_row_ms %d" % (now_ms() - t0))
    t.settle(0.5, 5)
    if "m 4 (seed 1)" not in cursor_row(t):
        raise AssertionError("the cursor left its message: %r" % cursor_row(t))
    # 3. a flag set on the server shows after :sync-account.
    t.wait(lambda t: "syncing" not in status(t), 20, "the sync ended")
    handshake(t, "flag")
    if flagged(t, "m 3 (seed 1)"):
        raise AssertionError("flagged before the sync")
    t.send(":sync-account\r")
    t.wait(lambda t: flagged(t, "m 3 (seed 1)"), 10, "the flag from the server")
    # 4. an expunge on the server: IDLE asks for the sync, the row goes.
    t.wait(lambda t: "syncing" not in status(t), 20, "the sync ended")
    if not rows_with(t, "m 1 (seed 1)"):
        raise AssertionError("m 1 missing before the expunge")
    handshake(t, "expunge")
    t0 = now_ms()
    t.wait(lambda t: not rows_with(t, "m 1 (seed 1)"), 10, "the expunged message gone (IDLE)")
    print("measure expunge_to_gone_ms %d" % (now_ms() - t0))
    # 5. ^G stops a long sync, the status says so.
    t.wait(lambda t: "syncing" not in status(t), 20, "the sync ended")
    handshake(t, "many")
    # IDLE starts the sync; without it, sync-account would
    try:
        t.wait(lambda t: "syncing INBOX" in status(t), 5, "syncing INBOX... (IDLE)")
    except AssertionError:
        t.send(":sync-account\r")
        t.wait(lambda t: "syncing INBOX" in status(t), 10, "syncing INBOX...")
    t.pump(0.3)
    t0 = now_ms()
    t.send("\x07")
    t.wait(lambda t: "canceled." in status(t), 5, "the sync canceled")
    print("measure cancel_ms %d" % (now_ms() - t0))
    # the rows are read again after the canceled sync: wait for them
    t.wait(lambda t: msgs_shown(t) > 0, 20, "the rows read again")
    t.settle(0.5, 5)
    msgs = msgs_shown(t)
    print("rows after ^G: %d (of 1,500 moved in)" % msgs)
    if msgs >= 1500:
        raise AssertionError("the sync was not stopped: %s" % msgs)
    print("status after ^G: %s" % status(t).strip())
    # 6. quitting while a sync runs: canceled, the UI ends within a second.
    t.send(":sync-account\r")
    t.wait(lambda t: "syncing INBOX" in status(t), 10, "syncing again")
    t.pump(0.3)
    t0 = now_ms()
    t.send("q")
    rc = t.wait_exit(10)
    print("measure quit_ms %d" % (now_ms() - t0))
    if rc != 0:
        sys.exit(rc)
    # 7. a bad [ui] sync key is a configuration error naming its line.
    bad = os.path.join(fx, "bad.conf")
    with open(os.environ["QUAIL_CONFIG"]) as f, open(bad, "w") as g:
        g.write(f.read().replace("sync_interval = 0", "sync_interval = soon"))
    os.chmod(bad, 0o600)
    t = Term([quail, "-f", "=INBOX"], 24, 100, env={"HOME": fx, "QUAIL_CONFIG": bad})
    rc = t.wait_exit(10)
    if rc != 78 or "sync_interval takes seconds" not in t.text().replace("\n", ""):
        raise AssertionError("bad sync_interval: exit %d" % rc)
    # 8. the timer alone (no sync at open, no IDLE): a delivery shows
    # after the next sync_interval.
    timed = os.path.join(fx, "timed.conf")
    with open(os.environ["QUAIL_CONFIG"]) as f, open(timed, "w") as g:
        g.write(f.read().replace("sync_interval = 0",
                                 "sync_interval = 2\nsync_on_open = no\nsync_idle = no"))
    os.chmod(timed, 0o600)
    t = Term([quail, "-f", "=INBOX"], 24, 100, env={"HOME": fx, "QUAIL_CONFIG": timed})
    # The folder read: the screen is where its first unread message is,
    # which depends on how much the canceled syncs above moved in, so the
    # delivery is looked for under a limit at the end.
    t.wait(lambda t: msgs_shown(t) >= 5 and "reading" not in t.text(), 20, "the folder read")
    if "sync" in status(t):
        raise AssertionError("a sync at open with sync_on_open = no: %r" % status(t))
    # timed syncs bring what the canceled ones left, then find nothing
    t.wait(lambda t: "sync: nothing new" in status(t), 90, "a timed sync with nothing new")
    import smtplib
    n0 = msgs_shown(t)
    lm = smtplib.LMTP(os.path.join(fx, "dovecot-main/run/lmtp"))
    lm.sendmail("sender@example.test", ["alice@example.test"],
                b"From: Bob <bob@example.test>\r\nTo: alice@example.test\r\n"
                b"Subject: Timed delivery\r\nMessage-ID: <timed@example.test>\r\n\r\nT.\r\n")
    lm.quit()
    t0 = now_ms()
    # Among 1,500 messages it may sort off the first screen: the count
    # tells it came, a limit shows it.
    t.wait(lambda t: msgs_shown(t) == n0 + 1, 10, "the delivery (timer)")
    print("measure timer_to_row_ms %d" % (now_ms() - t0))
    t.send("l")
    t.send("~s Timed\r")
    t.wait(lambda t: rows_with(t, "Timed delivery"), 10, "the timed delivery under a limit")
    t.send("l")
    t.send("~s Live\r")
    t.wait(lambda t: rows_with(t, "Live delivery"), 10, "the IDLE delivery under a limit")
    t.send("q")
    sys.exit(t.wait_exit(10))
except AssertionError as e:
    print(e)
    print("--- screen:\n" + t.text())
    sys.exit(1)
finally:
    t.close()
