#!/bin/bash
# Fetch and sync keep the index current (SPEC §9): with an index file that
# holds the Maildir, quail fetch --imap, quail fetch --pop3 and quail sync
# bring it up to date at the end of the run, so the new messages, a flag
# change and a deletion show in the database (read without quail, read
# only: no index run) and in quail search. Without an index file none is
# made; an index that cannot be opened is a warning and the exit code
# stays 0. Skips (77) without Dovecot, sqlite3 or quail fetch/sync.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-common.sh"

fx_need_quail
im_need_fetch
timeout 10 "$QUAIL" sync --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no sync command"
fx_need_cmd openssl dovecot doveadm sqlite3 awk
fx_init
export XDG_CACHE_HOME=$FX_DIR/cache
export HOME=$FX_DIR/home
export QUAIL_CONFIG=$FX_DIR/none.conf
mkdir -p "$HOME"
: >"$QUAIL_CONFIG"
db=$XDG_CACHE_HOME/quail/index.sqlite
fx_certs
fx_dovecot_start

imaps=imaps://127.0.0.1:$FX_IMAPS_PORT
pop3s=pop3s://127.0.0.1:$FX_POP3S_PORT
out=$FX_DIR/out

# q SQL: one answer from the database, opened read-only by sqlite3 itself.
q() { sqlite3 -readonly "$db" "$1"; }
msgs_under() { q "SELECT count(*) FROM msg JOIN folder ON folder.id = msg.folder WHERE folder.path LIKE '$1/%' OR folder.path = '$1'"; }

# --- no index file: none is made ------------------------------------------------
inbox=$(im_folder alice INBOX)
im_gen "$inbox" 20 1 m
im_resync alice
im_fetch "$imaps" -o "$out"
fx_is "$FX_RC" 0 "fetch without an index: exit 0"
fx_check "fetch without an index makes none" test ! -e "$db"

# --- an index that holds the Maildir: fetch adds what it stored ------------------
fx_run -t 60 "$QUAIL" index "$out"
fx_is "$FX_RC" 0 "quail index: exit 0"
outabs=$(cd "$out" && pwd -P)
fx_is "$(msgs_under "$outabs")" 20 "20 messages indexed"
im_gen "$inbox" 5 2 fresh
im_resync alice
im_fetch "$imaps" -o "$out"
fx_is "$FX_RC" 0 "fetch into an indexed Maildir: exit 0"
fx_is "$FX_ERR" "" "fetch: nothing on stderr"
fx_is "$(msgs_under "$outabs")" 25 "fetch updated the index: 25 messages, no index run"
fx_is "$(q "SELECT count(*) FROM msg WHERE subject LIKE 'fresh %'")" 5 "the 5 new subjects are there"
fx_run -t 60 "$QUAIL" search --limit 100 subject:fresh
fx_is "$(printf '%s\n' "$FX_OUT" | grep -c 'fresh')" 5 "quail search finds the fetched messages"

# --- POP3 ---------------------------------------------------------------------
pout=$FX_DIR/pop
mkdir -p "$pout/INBOX/cur" "$pout/INBOX/new" "$pout/INBOX/tmp"
fx_run -t 60 "$QUAIL" index "$pout"
poutabs=$(cd "$pout" && pwd -P)
fx_is "$(msgs_under "$poutabs")" 0 "an empty POP3 Maildir indexed"
fx_run -t 60 "$QUAIL" fetch --pop3 "$pop3s" --user alice --password-command "echo $FX_PASSWORD" \
	--ca-file "$FX_CA" --timeout 20 -o "$pout"
fx_is "$FX_RC" 0 "fetch --pop3: exit 0"
fx_is "$(msgs_under "$poutabs")" 25 "fetch --pop3 updated the index: 25 messages"

# --- sync: a flag change and a deletion --------------------------------------------
sout=$FX_DIR/sync
qs() {
	fx_run -t 120 "$QUAIL" sync --imap "$imaps" --user alice \
		--password-command "echo $FX_PASSWORD" --ca-file "$FX_CA" --timeout 20 -o "$sout" "$@"
}
qs
fx_is "$FX_RC" 0 "first sync: exit 0"
fx_run -t 60 "$QUAIL" index "$sout"
soutabs=$(cd "$sout" && pwd -P)
fx_is "$(msgs_under "$soutabs")" 25 "the synced Maildir indexed: 25 messages"
flagged() { q "SELECT count(*) FROM msg JOIN folder ON folder.id = msg.folder WHERE folder.path LIKE '$soutabs/%' AND message_id = 'm.$1.1@example.test' AND flags & 2"; }
fx_is "$(flagged 3)" 0 "m.3.1 not flagged yet"
im_doveadm flags add -u alice '\Flagged' mailbox INBOX header Message-ID '<m.3.1@example.test>' ||
	fx_bail "doveadm flags add failed"
im_doveadm expunge -u alice mailbox INBOX header Message-ID '<m.4.1@example.test>' ||
	fx_bail "doveadm expunge failed"
qs
fx_is "$FX_RC" 0 "sync with a flag change and a deletion: exit 0"
fx_is "$FX_ERR" "" "sync: nothing on stderr"
fx_is "$(flagged 3)" 1 "sync updated the index: m.3.1 flagged"
fx_is "$(q "SELECT count(*) FROM msg JOIN folder ON folder.id = msg.folder WHERE folder.path LIKE '$soutabs/%' AND message_id = 'm.4.1@example.test'")" 0 \
	"sync updated the index: m.4.1 gone"
fx_is "$(msgs_under "$soutabs")" 24 "24 messages in the synced Maildir"

# --- an index that cannot be opened: a warning, exit 0 ---------------------------
im_gen "$inbox" 2 3 late
im_resync alice
rm -f "$db.lock"
mkdir "$db.lock" 2>/dev/null || fx_bail "cannot block the index lock"
im_fetch "$imaps" -o "$out"
fx_is "$FX_RC" 0 "fetch with a broken index: exit 0"
fx_like "$FX_ERR" '^quail: warning: index' "fetch with a broken index: a warning"
fx_like "$FX_OUT" '^fetched 2 messages ' "... and the messages are fetched"
rmdir "$db.lock"

fx_done
