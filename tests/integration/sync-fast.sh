#!/bin/bash
# quail sync when little or nothing changed (SPEC §10), against Dovecot on
# loopback: a run with nothing changed neither rewrites the state file nor
# lists a Maildir whose cur/ and new/ are unchanged since a settled run
# (DIR/.quail/sync-<folder>.dirs); a local rename, two local changes in
# quick succession, a server flag change and a new server message are each
# still carried over, the server's changes by a QRESYNC SELECT (RFC 7162
# §3.2.5) without listing every flag; a damaged record only costs a
# listing; a run with nothing changed reads the state's summary only
# (DIR/.quail/sync-<folder>.sum), and a damaged one costs a full read;
# a run resumes the TLS session of the one before; a run ends without
# waiting for LOGOUT's reply;
# --delete-folders both ways; without UIDPLUS an appended
# message is paired by its Message-ID. Skips (77) without Dovecot or quail sync; the listing checks
# need strace.
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
# every reply read, LOGOUT is sent and the connection closed without
# waiting for the BYE and OK (the -v trace shows each line read)
qs -v
fx_like "$FX_ERR" '^C: Q[0-9]+ LOGOUT$' "nothing changed: the run ends with LOGOUT"
fx_unlike "$FX_ERR" '^S: \* BYE' "... and does not wait for the server's BYE"

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

# the state summary (DIR/.quail/sync-<folder>.sum): a run with nothing
# changed on either side reads no state entries at all; a damaged summary
# only costs reading the state
sum=$state.sum
settle
qs
qs
fx_check "the state summary is written" test -s "$sum"
fx_is "$(stat -c %a "$sum")" 600 "... mode 0600"
state_read_check() { # desc want(yes|no)
	if [ -z "$have_strace" ]; then
		fx_skip "$1" "no strace"
		return
	fi
	local got=no
	qs_listed
	grep -q '/\.quail/sync-INBOX", O_RDONLY' "$FX_DIR/strace.out" && got=yes
	fx_is "$got" "$2" "$1"
}
state_read_check "nothing changed: the state entries are not read" no
fx_like "$FX_OUT" '^synced 1 folders: \+0 -0 ~0 on the server, \+0 -0 ~0 here$' "... and nothing changes"
printf 'quail-sync-sum 1\nU garbage\n' >"$sum"
state_read_check "a damaged summary: the state is read" yes
fx_check "damaged summary: both sides the same" same
state_read_check "... and rewritten, so the next run reads no entries" no
im_doveadm flags add -u alice '\Answered' mailbox INBOX header Message-ID "$a" || fx_bail "doveadm flags failed"
state_read_check "a server change: the state is read" yes
fx_is "$(flags_here "$a")" FR "... and the change reaches this side"

# TLS session resumption (RFC 8446 §2.2): a run resumes the session of the
# one before, kept 0600 in quail's state directory; a damaged session file
# costs a full handshake and nothing else
tlsdir=$XDG_STATE_HOME/quail/tls
# Dovecot's default starts a login process per connection, each with its
# own ticket key: nothing can be resumed there. One long-lived process:
sed -i 's/^\([[:space:]]*\)service imap-login {/&\n\1  service_count = 0/' \
	"$FX_DIR/dovecot-main/dovecot.conf"
im_doveadm reload || fx_bail "doveadm reload failed"
sleep 1
qs
qs -v
fx_is "$FX_RC" 0 "a run with a kept TLS session: exit 0"
fx_like "$FX_ERR" 'TLS started: .*\(resumed\)' "... resumes it"
fx_is "$(stat -c %a "$tlsdir"/tls-* | sort -u)" 600 "the session file is 0600"
fx_is "$(stat -c %a "$tlsdir")" 700 "... in a 0700 directory"
for f in "$tlsdir"/tls-*; do # the session after its header: garbage
	n=$(($(stat -c %s "$f") - 100))
	head -c "$n" /dev/zero | tr '\0' x | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
done
qs -v
fx_is "$FX_RC" 0 "a damaged session file: exit 0"
fx_unlike "$FX_ERR" 'TLS started: .*\(resumed\)' "... a full handshake"
qs -v
fx_like "$FX_ERR" 'TLS started: .*\(resumed\)' "... and the next run resumes again"
fx_check "after resumed runs: both sides the same" same

# --delete-folders: a folder deleted on one side since the last sync is
# deleted on the other when that copy is unchanged since, else made again
srv_has() { im_doveadm mailbox list -u alice | grep -qxF "$1"; }
for n in Old Keep Back; do
	im_gen "$(im_folder alice "$n")" 2 3 "$n"
done
im_resync alice
mkdir -p "$out/Gone/cur" "$out/Gone/new" "$out/Gone/tmp"
printf 'From: g@example.test\nSubject: g\nMessage-ID: <gone.1@example.test>\n\nhi\n' \
	>"$out/Gone/new/1700000002.gone1.host"
qs --all-folders
fx_is "$FX_RC" 0 "folders: a first sync of every folder"
fx_check "folders: Gone reached the server" srv_has Gone
# the upload moved the server's HIGHESTMODSEQ past the state's: one more
# run records the folder as it is
qs --all-folders
im_doveadm mailbox delete -u alice Old Keep Back || fx_bail "doveadm mailbox delete failed"
rm -rf "$out/Gone"
printf 'From: k@example.test\nSubject: k\nMessage-ID: <keep.1@example.test>\n\nhi\n' \
	>"$out/Keep/new/1700000003.keep1.host"
qs --all-folders --delete-folders --dry-run
fx_check "--dry-run: Old stays here" test -d "$out/Old/cur"
fx_check "--dry-run: Gone stays on the server" srv_has Gone
qs --all-folders --delete-folders
fx_is "$FX_RC" 0 "--delete-folders: exit 0"
fx_like "$FX_OUT" '^- here folder Old$' "--delete-folders: says what it deletes here"
fx_check "deleted on the server, unchanged here: deleted here" test ! -e "$out/Old"
fx_check "... and its state is gone" test ! -e "$out/.quail/sync-Old"
fx_check "deleted here, unchanged on the server: deleted there" eval '! srv_has Gone'
fx_check "deleted on the server but changed here since: made again there" srv_has Keep
fx_is "$(im_server_flags alice Keep | wc -l)" 3 "... with every message, the new one too"
fx_check "without a change here, Back is deleted here too" test ! -e "$out/Back"
im_doveadm mailbox delete -u alice Keep || fx_bail "doveadm mailbox delete failed"
qs --all-folders
fx_check "without --delete-folders a folder deleted there is made again" srv_has Keep
fx_is "$(im_server_flags alice Keep | wc -l)" 3 "... with its messages"

# a server without UIDPLUS (RFC 4315): a local message appended there is
# found by its Message-ID, so it is never downloaded back
caps="IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ CONDSTORE QRESYNC MOVE"
echo "imap_capability = $caps" >>"$FX_DIR/dovecot-main/dovecot.conf"
im_doveadm reload || fx_bail "doveadm reload failed"
sleep 1
qs -v
fx_unlike "$FX_ERR" 'S: [A-Z0-9]+ OK \[CAPABILITY [^]]*UIDPLUS' "the server no longer offers UIDPLUS"
printf 'From: l@example.test\nSubject: local\nMessage-ID: <local.new@example.test>\n\nhi\n' \
	>"$out/INBOX/new/1700000001.local2.host"
qs -v
fx_like "$FX_OUT" '^synced 1 folders: \+1 -0 ~0 on the server, \+0 -0 ~0 here$' "no UIDPLUS: the local message is appended"
fx_like "$FX_ERR" 'C: [A-Z0-9]+ UID SEARCH UID [0-9]+:\* HEADER Message-ID "<local.new@example.test>"' "... and found by its Message-ID"
qs -v
fx_like "$FX_OUT" '^synced 1 folders: \+0 -0 ~0 on the server, \+0 -0 ~0 here$' "... and not downloaded back"
fx_unlike "$FX_ERR" 'BODY.PEEK' "... not even to compare"
fx_check "no UIDPLUS: both sides the same" same
fx_done
