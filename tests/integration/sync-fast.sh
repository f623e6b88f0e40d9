#!/bin/bash
# quail sync when little or nothing changed (SPEC §10), against Dovecot on
# loopback: a run with nothing changed neither rewrites the state file nor
# lists a Maildir whose cur/ and new/ are unchanged since a settled run
# (DIR/.quail/sync-<folder>.dirs); a local rename, two local changes in
# quick succession, a server flag change and a new server message are each
# still carried over, the server's changes by a QRESYNC SELECT (RFC 7162
# §3.2.5) without listing every flag; a damaged record only costs a
# listing. Skips (77)
# without Dovecot or quail sync; the listing checks need strace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-common.sh"

fx_need_quail
timeout 10 "$QUAIL" sync --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no sync command"
fx_need_cmd openssl dovecot doveadm awk
fx_init
fx_certs
fx_dovecot_start

imaps=imaps://127.0.0.1:$FX_IMAPS_PORT
out=$FX_DIR/out
rec=$out/.quail/sync-INBOX.dirs
state=$out/.quail/sync-INBOX
have_strace=; command -v strace >/dev/null 2>&1 && have_strace=1

qs() { # quail sync as alice into $out
	fx_run -t 120 "$QUAIL" sync --imap "$imaps" --user alice \
		--password-command "echo $FX_PASSWORD" --ca-file "$FX_CA" --timeout 20 -o "$out" "$@"
}
# qs_listed: quail sync under strace; true when it opened INBOX/cur to list it
qs_listed() {
	fx_run -t 120 strace -f -e trace=openat -o "$FX_DIR/strace.out" "$QUAIL" sync \
		--imap "$imaps" --user alice --password-command "echo $FX_PASSWORD" \
		--ca-file "$FX_CA" --timeout 20 -o "$out"
	grep -q 'INBOX/cur", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY' "$FX_DIR/strace.out"
}
listed_check() { # desc want(yes|no)
	if [ -z "$have_strace" ]; then
		fx_skip "$1" "no strace"
		return
	fi
	local got=no
	qs_listed && got=yes
	fx_is "$got" "$2" "$1"
}
same() { [ "$(im_server_flags alice INBOX)" = "$(im_local_flags "$out/INBOX")" ]; }
flags_here() { im_local_flags "$out/INBOX" | awk -v id="$1" '$1 == id { print $2 }'; }
flags_there() { im_server_flags alice INBOX | awk -v id="$1" '$1 == id { print $2 }'; }
# lflags MSGID LETTERS: give the local copy exactly these flags
lflags() {
	local f b
	f=$(grep -l -m1 -F "Message-ID: $1" "$out/INBOX"/cur/* "$out/INBOX"/new/* 2>/dev/null | head -1)
	[ -n "$f" ] || fx_bail "no local copy of $1"
	b=${f##*/}
	mv "$f" "$out/INBOX/cur/${b%%:2,*}:2,$2"
}
settle() { sleep 3; } # older than the 2 s grain the record waits for

inbox=$(im_folder alice INBOX)
im_gen "$inbox" 20 7 f
im_resync alice
qs
fx_is "$FX_RC" 0 "first sync: exit 0"
fx_check "first sync: both sides the same" same
fx_check "no record right after a run that changed the Maildir" test ! -e "$rec"
settle
qs
fx_is "$FX_RC" 0 "a settled run: exit 0"
fx_check "a settled run with nothing changed writes the record" test -s "$rec"
ino0=$(stat -c '%i %Y' "$state")
listed_check "then the next run does not list the Maildir" no
fx_like "$FX_OUT" '^synced 1 folders: \+0 -0 ~0 on the server, \+0 -0 ~0 here$' "... and changes nothing"
fx_is "$(stat -c '%i %Y' "$state")" "$ino0" "nothing changed: the state file is not rewritten"

# a local rename after the record: seen
a='<f.2.7@example.test>' b='<f.3.7@example.test>' c='<f.4.7@example.test>'
lflags "$a" F
listed_check "a local rename: the Maildir is listed" yes
fx_is "$(flags_there "$a")" F "a local rename after the record reaches the server"
# two changes in quick succession, the second right after a run
lflags "$b" RS
qs
lflags "$c" DF
qs
fx_is "$(flags_there "$b")" RS "the first of two quick changes reaches the server"
fx_is "$(flags_there "$c")" DF "the second, made right after a run, too"
fx_check "quick changes: both sides the same" same

# the server changes while this side is unchanged (and unlisted)
settle
qs
listed_check "settled again: not listed" no
im_doveadm flags add -u alice '\Flagged' mailbox INBOX header Message-ID "$b" || fx_bail "doveadm flags failed"
qs -v
fx_is "$FX_RC" 0 "a server flag change: exit 0"
fx_is "$(flags_here "$b")" FRS "a server flag change reaches the unlisted side"
fx_like "$FX_ERR" 'C: [A-Z0-9]+ SELECT "?INBOX"? \(QRESYNC \(' "QRESYNC: the SELECT asks for the changes"
fx_unlike "$FX_ERR" 'C: [A-Z0-9]+ UID FETCH 1:\*' "QRESYNC: no listing of every flag"
e='<f.9.7@example.test>'
im_doveadm expunge -u alice mailbox INBOX header Message-ID "$e" || fx_bail "doveadm expunge failed"
qs -v
fx_like "$FX_ERR" 'S: \* VANISHED \(EARLIER\)' "a server expunge comes as VANISHED (EARLIER)"
fx_like "$FX_OUT" '^synced 1 folders: \+0 -0 ~0 on the server, \+0 -1 ~0 here$' "... and is removed here"
fx_unlike "$FX_ERR" 'C: [A-Z0-9]+ UID FETCH 1:\*' "... without a listing of every flag"
settle
qs
printf 'From: s@example.test\r\nSubject: new\r\nMessage-ID: <srv.new@example.test>\r\n\r\nnew\r\n' |
	im_doveadm save -u alice -m INBOX || fx_bail "doveadm save failed"
qs
fx_like "$FX_OUT" '^synced 1 folders: \+0 -0 ~0 on the server, \+1 -0 ~0 here$' "a new server message is downloaded"
fx_check "after the server changes: both sides the same" same

# a damaged record is only a cache
settle
qs
printf 'quail-sync-dirs 1\nD garbage\n' >"$rec"
listed_check "a damaged record: the Maildir is listed" yes
fx_check "damaged record: both sides the same" same
fx_done
