#!/bin/bash
# quail sync against a server whose hierarchy separator is "." (SPEC §10,
# layout as §5): Dovecot with "separator = ." in its namespace. A nested
# server folder a.b is the Maildir DIR/a/b, the one quail writes for a/b
# on a "/" server; a new local folder DIR/Projects/Sub is created on the
# server as Projects.Sub; flags and messages go both ways in the nested
# folders, and a second run changes nothing. A run with nothing changed
# costs few round trips: ID and ENABLE go out together, every folder's
# STATUS comes with the LIST (LIST-STATUS, RFC 5819), or for named
# folders from one pipelined STATUS flight, and no folder is selected.
# Skips (77) without Dovecot or quail sync.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-common.sh"

fx_need_quail
timeout 10 "$QUAIL" sync --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no sync command"
fx_need_cmd openssl dovecot doveadm awk
fx_init
fx_certs
FX_SEPARATOR=. fx_dovecot_start

imaps=imaps://127.0.0.1:$FX_IMAPS_PORT
out=$FX_DIR/out
qs() { # quail sync as alice into $out
	fx_run -t 120 "$QUAIL" sync --imap "$imaps" --user alice \
		--password-command "echo $FX_PASSWORD" --ca-file "$FX_CA" --timeout 20 -o "$out" "$@"
}
srv_list() { im_doveadm mailbox list -u alice | sort | tr '\n' ' '; }
same() { [ "$(im_server_flags alice "$1")" = "$(im_local_flags "$2")" ]; }

im_gen "$(im_folder alice INBOX)" 3 1 in
im_doveadm mailbox create -u alice a || fx_bail "doveadm mailbox create a failed"
im_gen "$(im_folder alice a.b)" 4 2 ab
im_gen "$(im_folder alice Lists.rust.users)" 2 3 lr
im_resync alice
fx_like "$(im_doveadm mailbox list -u alice)" '^a\.b$' "the server nests with ."

qs --all-folders
fx_is "$FX_RC" 0 "first sync of every folder: exit 0"
fx_is "$(im_count "$out/a/b")" 4 "server folder a.b is the Maildir a/b"
fx_is "$(im_count "$out/Lists/rust/users")" 2 "Lists.rust.users is Lists/rust/users"
fx_check "no Maildir named with the server's separator" test ! -e "$out/a.b"
fx_check "a.b: both sides the same" same a.b "$out/a/b"

# a new local folder, nested: made on the server with its separator
mkdir -p "$out/Projects/Sub/cur" "$out/Projects/Sub/new" "$out/Projects/Sub/tmp"
printf 'From: n@example.test\nSubject: n\nMessage-ID: <proj.sub.1@example.test>\n\nhi\n' \
	>"$out/Projects/Sub/new/1700000001.projsub1.host"
# and a flag set here in a nested folder
f=$(find "$out/a/b/cur" -type f -name '*:2,S' | head -1)
[ -n "$f" ] || fx_bail "no message with flags S only in a/b"
mv "$f" "${f%S}FS"
qs --all-folders
fx_is "$FX_RC" 0 "a new local folder and a flag: exit 0"
fx_like "$(im_doveadm mailbox list -u alice)" '^Projects\.Sub$' "the local Projects/Sub is Projects.Sub on the server"
fx_unlike "$(im_doveadm mailbox list -u alice)" '/' "no server folder named with /"
fx_is "$(im_server_flags alice Projects.Sub)" "<proj.sub.1@example.test> " "... holding the local message"
fx_check "the local flag reached a.b" same a.b "$out/a/b"

# a server change in a nested folder comes back into the nested Maildir
im_doveadm flags add -u alice '\Flagged' mailbox Lists.rust.users all || fx_bail "doveadm flags failed"
printf 'From: s@example.test\nSubject: s\nMessage-ID: <srv.ab@example.test>\n\nhi\n' |
	im_doveadm save -u alice -m a.b || fx_bail "doveadm save failed"
qs --all-folders
fx_is "$FX_RC" 0 "server changes in nested folders: exit 0"
fx_check "Lists.rust.users: the server's flags are here" same Lists.rust.users "$out/Lists/rust/users"
fx_is "$(im_count "$out/a/b")" 5 "a.b: the new server message is in a/b"
list0=$(srv_list)
qs --all-folders
fx_like "$FX_OUT" '^synced [0-9]+ folders: \+0 -0 ~0 on the server, \+0 -0 ~0 here$' "a second run changes nothing"
fx_is "$(srv_list)" "$list0" "... and makes no folder"
qs --folder a.b
fx_like "$FX_OUT" '^synced 1 folders: \+0 -0 ~0 on the server, \+0 -0 ~0 here$' "--folder a.b names the nested folder"
fx_check "... and makes no Maildir a.b" test ! -e "$out/a.b"
# nothing changed: LIST-STATUS says so for every folder at once
qs --all-folders -v
fx_is "$FX_RC" 0 "nothing changed, traced: exit 0"
fx_like "$FX_ERR" '^C: [A-Z0-9]+ LIST "" "\*" RETURN \(STATUS \(' "the LIST asks for every folder's STATUS"
fx_unlike "$FX_ERR" '^C: [A-Z0-9]+ (SELECT|EXAMINE|STATUS) ' "no folder is selected or asked about alone"
order=$(printf '%s\n' "$FX_ERR" | awk '
	/^C: [A-Z0-9]+ ENABLE / && !e { e = NR }
	/^S: [A-Z0-9]+ OK ID/ && !i { i = NR }
	END { print (e && i && e < i) ? "pipelined" : "one at a time" }')
fx_is "$order" pipelined "ENABLE is sent before ID is answered"
# named folders: their STATUS in one pipelined flight, still no SELECT
qs --folder a.b --folder INBOX -v
fx_is "$FX_RC" 0 "two named folders, nothing changed: exit 0"
fx_is "$(printf '%s\n' "$FX_ERR" | grep -cE '^C: [A-Z0-9]+ STATUS ')" 2 "one STATUS for each"
fx_unlike "$FX_ERR" '^C: [A-Z0-9]+ (SELECT|EXAMINE) ' "... and no SELECT"
order=$(printf '%s\n' "$FX_ERR" | awk '
	/^C: [A-Z0-9]+ STATUS / { c++ }
	/^S: [A-Z0-9]+ OK .*Status/ && !s { s = c }
	END { print s == 2 ? "pipelined" : "one at a time" }')
fx_is "$order" pipelined "both STATUS are sent before the first is answered"
fx_done
