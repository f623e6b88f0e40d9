#!/usr/bin/env python3
"""Fails when a `:` command of the UI's command table is missing from the
built quail-ui(1): every line of `quail ui --list-commands` must be an
item of COMMANDS, as man renders it, named *:name*, with its argument and
each of its other names in the item.

Usage: check-commands.py QUAIL PAGE
"""
import os
import re
import subprocess
import sys


def items(rendered):
    """[(head, description)] of the COMMANDS section."""
    out, in_cmds, item = [], False, None
    for line in rendered.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        text = line.strip()
        if not text:
            continue
        if indent == 0:
            in_cmds = text == "COMMANDS"
            item = None
            continue
        if not in_cmds:
            continue
        if indent == 7 and text.startswith(":"):
            item = [text, []]
            out.append(item)
        elif indent > 7 and item is not None:
            item[1].append(text)
        else:
            item = None
    return [(head, " ".join(desc)) for head, desc in out]


def main():
    quail, page = sys.argv[1], sys.argv[2]
    listed = subprocess.run([quail, "ui", "--list-commands"], check=True, capture_output=True,
                            timeout=30, text=True).stdout
    env = dict(os.environ, MANWIDTH="160", LC_ALL="C.UTF-8")
    env.pop("MAN_KEEP_FORMATTING", None)
    rendered = subprocess.run(["man", "-l", page], check=True, capture_output=True, timeout=60,
                              text=True, env=env).stdout
    rendered = re.sub(".\b", "", rendered)  # overstrike, if any
    found = items(rendered)
    fails = n = 0
    for line in listed.splitlines():
        name, aliases, args, _ = line.split("\t")
        n += 1
        want = (":" + name + (" " + args if args else "")).split()
        ok = any(head.split() == want and all(":" + a in desc for a in aliases.split())
                 for head, desc in found)
        if not ok:
            print("FAIL: :%s %s (also %s) is not in quail-ui(1)'s COMMANDS" % (name, args, aliases))
            fails += 1
    print("checked %d commands of the table against %s" % (n, os.path.basename(page)))
    sys.exit(1 if fails or n == 0 else 0)


main()
