#!/usr/bin/env python3
"""Writes quail-ui(1)'s page source with its key list made from the UI's
key table, so that the page and the keys cannot drift apart (SPEC §11).

Usage: gen-keys.py TEMPLATE QUAIL > quail-ui.1.scd
The line @KEYS@ of TEMPLATE becomes one subsection per screen, in table
order, with one item per function: its keys in bold, its mutt name.
`QUAIL ui --list-keys` prints the table as screen, key, function lines.
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


def main():
    template, quail = sys.argv[1], sys.argv[2]
    listed = subprocess.run([quail, "ui", "--list-keys"], check=True, capture_output=True,
                            timeout=30, text=True).stdout
    rows = [line.split("\t") for line in listed.splitlines() if line]
    if not rows or any(len(r) != 3 for r in rows):
        sys.exit("gen-keys.py: bad key list from %s" % quail)
    with open(template, encoding="utf-8") as f:
        text = f.read()
    if text.count("\n@KEYS@\n") != 1:
        sys.exit("gen-keys.py: %s needs one line @KEYS@" % template)
    sys.stdout.write(text.replace("\n@KEYS@\n", "\n" + keys_section(rows) + "\n", 1))


main()
