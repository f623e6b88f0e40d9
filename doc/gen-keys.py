#!/usr/bin/env python3
"""Writes quail-ui(1)'s page source with its key list made from the UI's
key table and its command list from the UI's `:` command table, so that
the page and the program cannot drift apart (SPEC §11).

Usage: gen-keys.py TEMPLATE QUAIL > quail-ui.1.scd
The line @KEYS@ of TEMPLATE becomes one subsection per screen, in table
order, with one item per function: its keys in bold, its mutt name.
`QUAIL ui --list-keys` prints the table as screen, key, function lines.
The line @COMMANDS@ becomes one item per command: *:name* and its
argument, then its summary and its other names. `QUAIL ui --list-commands`
prints them as name, other names (space-separated), argument, summary.
"""
import subprocess
import sys


def esc(s):
    """scdoc's markup characters, escaped."""
    return "".join("\\" + c if c in "\\*_" else c for c in s)


def keys_section(rows):
    screens = {}
    for screen, key, func in rows:
        funcs = screens.setdefault(screen, {})
        funcs.setdefault(func, []).append(key)
    out = []
    for screen, funcs in screens.items():
        out.append("## " + screen + "\n")
        for func, keys in funcs.items():
            out.append(", ".join("*" + esc(k) + "*" for k in keys))
            out.append("\t<" + esc(func) + ">\n")
    return "\n".join(out)


def commands_section(rows):
    out = []
    for name, aliases, args, summary in rows:
        head = "*:" + esc(name) + "*" + (" _" + esc(args) + "_" if args else "")
        body = esc(summary)
        others = aliases.split()
        if others:
            body += " Also " + ", ".join("*:" + esc(a) + "*" for a in others) + "."
        out.append(head + "\n\t" + body + "\n")
    return "\n".join(out)


def listing(quail, option, fields):
    listed = subprocess.run([quail, "ui", option], check=True, capture_output=True,
                            timeout=30, text=True).stdout
    rows = [line.split("\t") for line in listed.splitlines() if line]
    if not rows or any(len(r) != fields for r in rows):
        sys.exit("gen-keys.py: bad list from %s ui %s" % (quail, option))
    return rows


def main():
    template, quail = sys.argv[1], sys.argv[2]
    keys = listing(quail, "--list-keys", 3)
    commands = listing(quail, "--list-commands", 4)
    with open(template, encoding="utf-8") as f:
        text = f.read()
    for mark in ("@KEYS@", "@COMMANDS@"):
        if text.count("\n" + mark + "\n") != 1:
            sys.exit("gen-keys.py: %s needs one line %s" % (template, mark))
    text = text.replace("\n@KEYS@\n", "\n" + keys_section(keys) + "\n", 1)
    text = text.replace("\n@COMMANDS@\n", "\n" + commands_section(commands) + "\n", 1)
    sys.stdout.write(text)


main()
