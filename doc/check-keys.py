#!/usr/bin/env python3
"""Fails when a key of the UI's key table is missing from the built
quail-ui(1): every (screen, key, function) of `quail ui --list-keys`
must be an item of that screen's subsection of KEYS, as man renders it.

Usage: check-keys.py QUAIL PAGE
"""
import os
import re
import subprocess
import sys


def sections(rendered):
    """{subsection: [(keys, description)]} of the KEYS section."""
    out, cur, in_keys, item = {}, None, False, None
    for line in rendered.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        text = line.strip()
        if not text:
            continue
        if indent == 0:
            in_keys = text == "KEYS"
            continue
        if not in_keys:
            continue
        if indent == 3:
            cur = out.setdefault(text, [])
        elif indent == 7 and cur is not None:
            item = ([k for k in text.split(", ")], [])
            cur.append(item)
        elif item is not None:
            item[1].append(text)
    return out


def main():
    quail, page = sys.argv[1], sys.argv[2]
    listed = subprocess.run([quail, "ui", "--list-keys"], check=True, capture_output=True,
                            timeout=30, text=True).stdout
    env = dict(os.environ, MANWIDTH="160", LC_ALL="C.UTF-8")
    env.pop("MAN_KEEP_FORMATTING", None)
    rendered = subprocess.run(["man", "-l", page], check=True, capture_output=True, timeout=60,
                              text=True, env=env).stdout
    rendered = re.sub(".\b", "", rendered)  # overstrike, if any
    secs = sections(rendered)
    fails = 0
    n = 0
    for line in listed.splitlines():
        screen, key, func = line.split("\t")
        n += 1
        items = secs.get(screen, [])
        if not any(key in keys and ("<%s>" % func) in " ".join(desc) for keys, desc in items):
            print("FAIL: %s: %s <%s> is not in quail-ui(1)" % (screen, key, func))
            fails += 1
    print("checked %d keys of the table against %s" % (n, os.path.basename(page)))
    sys.exit(1 if fails or n == 0 else 0)


main()
