#!/bin/bash
# quail fetch into a Maildir on a file system that fills up (a 3 MB tmpfs)
# against Dovecot, over IMAP and over POP3 with --delete: the run fails
# with exit 74 naming the cause, every file left in new/ and cur/ is a
# whole message byte for byte, none is half written, the server keeps
# every message that has no copy on disk; once there is room, a re-run
# completes it with every message exactly once. Needs root (mount) and
# Dovecot; skips (77) without them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-common.sh"
. "$(dirname "$0")/pop3-common.sh"

fx_need_quail
im_need_fetch
fx_need_cmd openssl dovecot doveadm sha256sum awk mount umount
[ "$(id -u)" = 0 ] || fx_skip_all "mounting a small tmpfs needs root"
fx_init
MNT=$FX_DIR/small
mkdir "$MNT"
mount -t tmpfs -o size=3m,mode=0755 quail-full "$MNT" 2>/dev/null ||
	fx_skip_all "cannot mount a tmpfs here"
# Unmounted before lib.sh removes the directory, keeping the exit status.
trap 'rc=$?; umount "$MNT" 2>/dev/null; (exit $rc); fx__on_exit' EXIT
fx_certs
fx_dovecot_start

# 300 messages, about 6 MB: twice the room there is.
inbox=$(im_folder alice INBOX)
im_gen "$inbox" 300 7 full
im_resync alice
server_sums=$(im_folder_sums "$inbox")

# whole_copies DIR: every file in DIR's new/ and cur/ is one of the
# server's messages, byte for byte, and none is there twice.
whole_copies() {
	local got
	got=$(im_folder_sums "$1")
	[ -z "$(comm -23 <(printf '%s\n' "$got") <(printf '%s\n' "$server_sums"))" ] &&
		[ -z "$(printf '%s\n' "$got" | uniq -d)" ]
}

# --- IMAP -----------------------------------------------------------------------------
out=$MNT/imap
im_fetch "imaps://127.0.0.1:$FX_IMAPS_PORT" --folder INBOX -o "$out"
fx_is "$FX_RC" 74 "IMAP, disk full: exit 74 (local I/O)"
fx_like "$FX_ERR" 'No space left on device' "IMAP, disk full: the cause is named"
stored=$(im_count "$out")
fx_diag "IMAP: $stored of 300 stored before the disk was full"
fx_check "IMAP, disk full: some were stored ($stored)" test "$stored" -gt 0
fx_check "IMAP, disk full: every stored file is a whole message, once" whole_copies "$out/INBOX"
fx_is "$(find "$out/INBOX/tmp" -type f | wc -l)" 0 "IMAP, disk full: nothing left in tmp/"
fx_is "$(im_count "$(fx_maildir alice)")" 300 "IMAP: the server keeps every message"

mount -o remount,size=64m "$MNT" || fx_bail "remount failed"
im_fetch "imaps://127.0.0.1:$FX_IMAPS_PORT" --folder INBOX -o "$out"
fx_is "$FX_RC" 0 "IMAP, room again: exit 0"
fx_like "$FX_OUT" "^fetched $((300 - stored)) messages " "IMAP, room again: the rest is fetched"
fx_is "$(im_folder_sums "$out/INBOX")" "$server_sums" "IMAP, room again: all 300 byte for byte, once"
rm -rf "$out"
mount -o remount,size=3m "$MNT" || fx_bail "remount failed"

# --- POP3 with --delete -----------------------------------------------------------------
# Dovecot serves alice's INBOX over POP3 too: --delete must leave every
# message that has no copy on disk.
out=$MNT/pop3
p3_fetch "pop3s://127.0.0.1:$FX_POP3S_PORT" -o "$out" --delete
fx_is "$FX_RC" 74 "POP3 --delete, disk full: exit 74"
fx_like "$FX_ERR" 'No space left on device' "POP3 --delete, disk full: the cause is named"
stored=$(p3_count "$out/INBOX")
fx_check "POP3, disk full: every stored file is a whole message, once" whole_copies "$out/INBOX"
fx_is "$(find "$out/INBOX/tmp" -type f | wc -l)" 0 "POP3, disk full: nothing left in tmp/"
left=$(im_count "$(fx_maildir alice)")
fx_diag "POP3: $stored stored, $left left on the server"
fx_check "POP3 --delete, disk full: nothing without a copy was deleted ($stored + $left >= 300)" \
	test $((stored + left)) -ge 300

mount -o remount,size=64m "$MNT" || fx_bail "remount failed"
p3_fetch "pop3s://127.0.0.1:$FX_POP3S_PORT" -o "$out" --delete
fx_is "$FX_RC" 0 "POP3 --delete, room again: exit 0"
fx_is "$(p3_sums "$out/INBOX")" "$server_sums" "POP3, room again: all 300 byte for byte, once"
fx_is "$(im_count "$(fx_maildir alice)")" 0 "POP3 --delete, room again: the server is empty"

fx_done
