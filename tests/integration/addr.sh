#!/bin/bash
# quail addr with the real binary over a temporary index: matches by a word
# of the name and by the address (case-insensitive, Cyrillic too), the
# ranking (recent and frequent first), --limit, --json's keys and values,
# query_command's lines after the index's, control characters escaped,
# exit 1 when nothing matches and usage errors.
. "$(dirname "$0")/lib.sh"

[ -n "${QUAIL:-}" ] && [ -x "$QUAIL" ] || fx_skip_all "QUAIL is not set"
timeout 10 "$QUAIL" addr --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no addr command"
command -v python3 >/dev/null 2>&1 || fx_skip_all "python3 is missing"
fx_init
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export XDG_CACHE_HOME=$FX_DIR/cache
export HOME=$FX_DIR/home
export QUAIL_CONFIG=$FX_DIR/none.conf
mkdir -p "$HOME"
: >"$QUAIL_CONFIG"
M=$FX_DIR/Mail
mkdir -p "$M/INBOX/cur" "$M/INBOX/new" "$M/INBOX/tmp"

# The MIME fixtures too: real-world headers must not upset the book.
n=0
for f in "$SRC"/tests/fixtures/mime/*.eml; do
	n=$((n + 1))
	cp "$f" "$M/INBOX/cur/100$n.fixture:2,S"
done
# msg NAME FROM TO DATE: a small message
msg() {
	printf 'From: %s\nTo: %s\nSubject: hello %s\nDate: %s\nMessage-ID: <%s@test>\n\nhi\n' \
		"$2" "$3" "$1" "$4" "$1" >"$M/INBOX/cur/$1:2,S"
}
old=$(date -R -d '400 days ago')
recent=$(date -R -d '2 days ago')
# Zoran: three messages a year ago; Zorana: one two days ago -> Zorana first
# (1/(1+2/30) > 3/(1+400/30)).
msg a1 'Zoran Smith <zoran@old.example>' 'Me <me@test>' "$old"
msg a2 'Zoran Smith <zoran@old.example>' 'Me <me@test>' "$old"
msg a3 'Zoran Smith <zoran@old.example>' 'Me <me@test>' "$old"
msg a4 'Zorana Jones <zorana@new.example>' 'Me <me@test>' "$recent"
# A recipient, a Cyrillic name and a name with an escape sequence.
msg b1 'Me <me@test>' 'Boris Ivanov <boris@ru.example>, =?utf-8?b?0JDQvdC90LA=?= <anna@ru.example>' "$recent"
msg c1 '=?utf-8?q?Eve=1B=5B31mRed?= <eve@evil.example>' 'Me <me@test>' "$recent"

fx_run -t 120 "$QUAIL" index "$M"
fx_is "$FX_RC" 0 "index exits 0"

fx_run "$QUAIL" addr zor
fx_is "$FX_RC" 0 "a match exits 0"
fx_is "$FX_OUT" "Zorana Jones <zorana@new.example>
Zoran Smith <zoran@old.example>" "by a word of the name, recent before old"
fx_run "$QUAIL" addr SMITH
fx_is "$FX_OUT" "Zoran Smith <zoran@old.example>" "a later word of the name, any case"
fx_run "$QUAIL" addr boris@
fx_is "$FX_OUT" "Boris Ivanov <boris@ru.example>" "by the address; recipients are in the book"
fx_run "$QUAIL" addr анн
fx_is "$FX_OUT" "Анна <anna@ru.example>" "a Cyrillic prefix of another case"
fx_run "$QUAIL" addr --limit 1 zor
fx_is "$FX_OUT" "Zorana Jones <zorana@new.example>" "--limit keeps the best"
fx_run "$QUAIL" addr eve
fx_is "$FX_RC" 0 "eve matches"
case $FX_OUT in
*$'\033'*) fx_fail "the escape character reached the terminal" ;;
*eve@evil.example*) fx_pass "a control character in a name is escaped" ;;
*) fx_fail "eve not shown" "$FX_OUT" ;;
esac

fx_run "$QUAIL" addr nobody-at-all
fx_is "$FX_RC" 1 "nothing matching exits 1"
fx_is "$FX_OUT" "" "and prints nothing"
fx_run "$QUAIL" addr
fx_is "$FX_RC" 64 "no QUERY is a usage error"
fx_run "$QUAIL" addr --limit 0 zor
fx_is "$FX_RC" 64 "--limit 0 is a usage error"
fx_run "$QUAIL" addr --account nosuch zor
fx_is "$FX_RC" 78 "an unknown account is a configuration error"

fx_run "$QUAIL" addr --json zor
FX_JSON=$FX_OUT python3 - <<'PY' && fx_pass "--json gives name, address, count, last" || fx_fail "--json" "$FX_OUT"
import json, os, datetime
objs = [json.loads(l) for l in os.environ["FX_JSON"].splitlines()]
assert [list(o) for o in objs] == [["name", "address", "count", "last"]] * 2, objs
assert objs[0]["address"] == "zorana@new.example" and objs[0]["count"] == 1, objs[0]
assert objs[1] == {"name": "Zoran Smith", "address": "zoran@old.example", "count": 3,
                   "last": objs[1]["last"]}, objs[1]
last = datetime.datetime.fromisoformat(objs[1]["last"])
age = datetime.datetime.now(datetime.timezone.utc) - last
assert 399 <= age.days <= 401, age
PY

# query_command (mutt's format): its matches follow the index's, those the
# index already gave are not repeated, a line with a control character is
# dropped.
cat >"$FX_DIR/query.sh" <<'Q'
#!/bin/sh
printf 'searching for %s\n' "$1"
# Like a real directory: only what starts with the query.
case $1 in
zor | zora*) printf 'zorana@new.example\tZorana Duplicate\t\n' ;;
esac
printf 'zorro@dir.example\tZorro Directory\tstaff\n'
printf 'bad@dir.example\tBad\033[2J\t\n'
Q
chmod +x "$FX_DIR/query.sh"
cat >"$FX_DIR/q.conf" <<CFG
[account work]
from = me@test
query_command = $FX_DIR/query.sh %s
CFG
fx_run "$QUAIL" addr --config "$FX_DIR/q.conf" zor
fx_is "$FX_OUT" "Zorana Jones <zorana@new.example>
Zoran Smith <zoran@old.example>
Zorro Directory <zorro@dir.example>" "query_command's lines come after the index's"
fx_run "$QUAIL" addr --config "$FX_DIR/q.conf" --json zorr
fx_is "$FX_OUT" '{"name": "Zorro Directory", "address": "zorro@dir.example", "count": 0, "last": null}' \
	"a query_command match has count 0 and last null"
cat >"$FX_DIR/fail.conf" <<CFG
[account work]
from = me@test
query_command = exit 3
CFG
fx_run "$QUAIL" addr --config "$FX_DIR/fail.conf" --account work zor
fx_is "$FX_RC" 78 "a failing query_command is a configuration error"
fx_like "$FX_OUT" "^Zorana Jones" "after the index's matches were printed"
fx_done
