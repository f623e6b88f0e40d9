#!/usr/bin/env python3
"""Sums up the meson test logs of one or more build directories.

Check suites report "NN%: Checks: N, Failures: F, Errors: E"; TAP scripts
report "ok"/"not ok" lines. Each case counts once; a test that reports
neither counts as one case by its result. The last line is
"tests: N passed, N failed, N skipped".
"""
import json
import re
import sys

CHECK = re.compile(r"^\d+%: Checks: (\d+), Failures: (\d+), Errors: (\d+)", re.M)
TAP = re.compile(r"^(not ok|ok)\b[^#\n]*(#\s*(SKIP|skip)\b)?", re.M)

passed = failed = skipped = 0
args = sys.argv[1:]
if len(args) >= 2 and args[0] == "--deb":
    try:
        with open(args[1], encoding="utf-8", errors="replace") as f:
            last = (f.read().strip().splitlines() or [""])[-1]
    except OSError:
        last = ""
    if last == "deb-test: passed":
        passed += 1
    elif last.startswith("deb-test: skipped"):
        skipped += 1
    else:
        failed += 1
    print(f"deb-test: {last or 'no log'}")
    args = args[2:]
for d in args:
    try:
        f = open(f"{d}/meson-logs/testlog.json")
    except OSError:
        print(f"{d}: no test log", file=sys.stderr)
        failed += 1
        continue
    sp = sf = ss = 0
    for line in f:
        t = json.loads(line)
        out = t.get("stdout") or ""
        res = t.get("result")
        checks = CHECK.findall(out)
        taps = TAP.findall(out)
        if res == "SKIP":
            ss += 1
        elif checks:
            n = sum(int(c[0]) for c in checks)
            bad = sum(int(c[1]) + int(c[2]) for c in checks)
            sp += n - bad
            sf += bad
            if res != "OK" and bad == 0:
                sf += 1  # crashed or timed out after its summary
        elif taps:
            for status, _, skip in taps:
                if skip:
                    ss += 1
                elif status == "ok":
                    sp += 1
                else:
                    sf += 1
            if res != "OK" and not any(s == "not ok" for s, _, _ in taps):
                sf += 1
        elif res == "OK":
            sp += 1
        else:
            sf += 1
    print(f"{d}: {sp} passed, {sf} failed, {ss} skipped")
    passed += sp
    failed += sf
    skipped += ss
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
