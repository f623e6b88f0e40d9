#!/bin/bash
# quail fetch --imap and quail list against Dovecot on loopback (SPEC §5):
# 2,000 messages in a folder tree with non-ASCII names (Entwürfe, 草稿,
# 草稿/子目录) downloaded byte for byte over implicit TLS with their flags;
# a second run that only checks state (a handful of commands, no SELECT);
# new mail in one folder; flag changes on the server carried over to the
# copies (CONDSTORE); quail list's counts; STARTTLS; a UIDVALIDITY
# change (re-fetched, nothing stored twice); a --folder that does not
# exist; --delete; COMPRESS=DEFLATE; no password in the -v trace.
# Skips (77) without Dovecot or quail fetch/list.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-common.sh"

fx_need_quail
im_need_fetch
fx_need_cmd openssl dovecot doveadm sha256sum awk
fx_init
fx_certs
fx_dovecot_start

imaps=imaps://127.0.0.1:$FX_IMAPS_PORT
imap=imap://127.0.0.1:$FX_IMAP_PORT

# --- a folder tree, 2,000 messages ------------------------------------------------
declare -A local_of=(
	[INBOX]=INBOX
	["Entwürfe"]="Entwürfe"
	["草稿"]="草稿"
	["草稿/子目录"]="草稿/子目录"
	["Lists/dev"]="Lists/dev"
)
declare -A count_of=([INBOX]=800 ["Entwürfe"]=300 ["草稿"]=200 ["草稿/子目录"]=300 ["Lists/dev"]=400)
declare -A sdir
seed=1
for f in INBOX "Entwürfe" "草稿" "草稿/子目录" "Lists/dev"; do
	sdir[$f]=$(im_folder alice "$f")
	im_gen "${sdir[$f]}" "${count_of[$f]}" "$seed" "f$seed"
	seed=$((seed + 1))
done
im_resync alice
total=0
for f in "${!count_of[@]}"; do total=$((total + count_of[$f])); done
fx_is "$total" 2000 "2000 messages on the server"

out=$FX_DIR/out
im_fetch "$imaps" --all-folders -o "$out"
fx_is "$FX_RC" 0 "imaps fetch --all-folders: exit 0"
fx_diag "2000 messages ($(du -sm "$(fx_maildir alice)" | cut -f1) MB) in $FX_MS ms"
fx_like "$FX_OUT" '^fetched 2000 messages \([0-9]+ bytes\) from 5 folders$' "the summary line"
fx_is "$FX_ERR" "" "nothing on stderr (not a terminal: no progress)"
for f in "${!local_of[@]}"; do
	fx_check "$f: every message byte for byte, once, in DIR/${local_of[$f]}" \
		test "$(im_folder_sums "$out/${local_of[$f]}")" = "$(im_folder_sums "${sdir[$f]}")"
done
fx_is "$(im_count "$out")" 2000 "2000 files in all"
fx_is "$(im_bad_flags "$out" | head -5)" "" "flags: Maildir info as on the server, unflagged mail in new/"
fx_is "$(find "$out" -type f -path "$out/*/tmp/*" | wc -l)" 0 "nothing left in tmp/"
fx_check "state in DIR/.quail/" test -s "$out/.quail/imap-alice@127.0.0.1"
fx_is "$(im_count "$(fx_maildir alice)")" 2000 "the server keeps every message"

# --- a second run: the state check only ------------------------------------------
im_fetch "$imaps" --all-folders -o "$out" -v
fx_is "$FX_RC" 0 "second run: exit 0"
fx_is "$FX_OUT" "fetched 0 messages (0 bytes) from 5 folders" "second run fetches nothing"
cmds=$(printf '%s\n' "$FX_ERR" | grep -c '^C: Q[0-9]')
fx_diag "second run: $cmds commands: $(printf '%s\n' "$FX_ERR" | sed -n 's/^C: Q[0-9]* \([A-Z]*\).*/\1/p' | tr '\n' ' ')"
fx_check "second run: at most 6 commands (got $cmds)" test "$cmds" -le 6
fx_unlike "$FX_ERR" '^C: Q[0-9]+ (SELECT|EXAMINE|UID FETCH)' "second run: no folder selected, nothing fetched"
fx_no_password "-v trace: no password" "$FX_ERR"
fx_like "$FX_ERR" '^C: Q[0-9]+ ID \("name" "quail"' "ID is sent (the server lists it)"

# --- new mail in one folder -------------------------------------------------------
im_gen "${sdir["Entwürfe"]}" 10 99 new
im_resync alice
im_fetch "$imaps" --all-folders -o "$out" -v
fx_is "$FX_RC" 0 "new mail: exit 0"
fx_like "$FX_OUT" '^fetched 10 messages ' "new mail: 10 messages fetched"
fx_is "$(printf '%s\n' "$FX_ERR" | grep -c '^C: Q[0-9]* EXAMINE')" 1 "new mail: only that folder is selected"
fx_check "new mail: Entwürfe byte for byte" \
	test "$(im_folder_sums "$out/Entwürfe")" = "$(im_folder_sums "${sdir["Entwürfe"]}")"

# --- flag changes on the server ---------------------------------------------------
# INBOX: \Flagged \Answered added to UIDs 1-40, \Seen taken from 41-60;
# 草稿: $Forwarded \Deleted added to 1-5. One unflagged copy among UIDs
# 1-40 was moved by a reader to cur/ with a keyword letter of its own.
was_seen=$(im_doveadm search -u alice mailbox INBOX uid 41:60 seen | wc -l)
moved_id=$(im_doveadm -f tab fetch -u alice 'flags hdr.message-id' mailbox INBOX uid 1:40 |
	awk -F'\t' 'NR > 1 { f = $1; gsub(/\\Recent| /, "", f) } NR > 1 && f == "" { print $2; exit }')
[ -n "$moved_id" ] || fx_bail "no unflagged message among INBOX UIDs 1-40"
moved=$(grep -lF "Message-ID: $moved_id" "$out/INBOX/new/"* 2>/dev/null | head -1)
fx_check "a copy in new/ to move ($moved_id)" test -n "$moved"
mv "$moved" "$out/INBOX/cur/${moved##*/}:2,a"
im_doveadm flags add -u alice '\Flagged \Answered' mailbox INBOX uid 1:40 ||
	fx_bail "doveadm flags add failed"
im_doveadm flags remove -u alice '\Seen' mailbox INBOX uid 41:60 ||
	fx_bail "doveadm flags remove failed"
im_doveadm flags add -u alice '$Forwarded \Deleted' mailbox "草稿" uid 1:5 ||
	fx_bail "doveadm flags add failed"
im_fetch "$imaps" --all-folders -o "$out" -v
fx_is "$FX_RC" 0 "flag changes: exit 0"
fx_is "$FX_OUT" "updated the flags of $((40 + was_seen + 5)) stored messages
fetched 0 messages (0 bytes) from 5 folders" "flag changes: each changed copy renamed, nothing fetched"
fx_is "$(printf '%s\n' "$FX_ERR" | grep -c '^C: Q[0-9]* EXAMINE')" 2 \
	"flag changes: only the two changed folders are selected"
fx_like "$FX_ERR" '^C: Q[0-9]+ EXAMINE "INBOX" \(QRESYNC \([0-9]+ [0-9]+ 1:800\)\)' \
	"flag changes: EXAMINE (QRESYNC (uidvalidity modseq known-uids)) brings them"
fx_unlike "$FX_ERR" '^C: Q[0-9]+ UID FETCH' "flag changes: no UID FETCH at all"
for f in INBOX "草稿"; do
	fx_is "$(im_local_flags "$out/${local_of[$f]}")" "$(im_server_flags alice "$f")" \
		"flag changes: $f: every copy has the server's flags"
done
fx_is "$(find "$out/INBOX/cur" -name "${moved##*/}:2,*" | sed 's/.*:2,//')" "FRa" \
	"flag changes: the moved copy is found, its keyword kept"
im_fetch "$imaps" --all-folders -o "$out" -v
fx_is "$FX_OUT" "fetched 0 messages (0 bytes) from 5 folders" "flag changes: the next run has nothing to do"
fx_unlike "$FX_ERR" '^C: Q[0-9]+ (SELECT|EXAMINE)' "flag changes: the next run selects nothing"

# --- quail list -----------------------------------------------------------------
fx_run -t 30 "$QUAIL" list --imap "$imaps" --user alice --password-command "echo $FX_PASSWORD" \
	--ca-file "$FX_CA"
fx_is "$FX_RC" 0 "quail list: exit 0"
# unseen: im_gen leaves message i without \Seen when i % 5 == 0
unseen() { echo $(($1 / 5)); }
# (\Seen was taken from was_seen INBOX messages above)
fx_is "$(printf '%s\n' "$FX_OUT" | head -1)" "INBOX	800	$(($(unseen 800) + was_seen))" \
	"quail list: INBOX first, with its counts"
fx_like "$FX_OUT" "^Entwürfe	310	" "quail list: Entwürfe decoded from modified UTF-7"
fx_like "$FX_OUT" "^草稿/子目录	300	$(unseen 300)\$" "quail list: 草稿/子目录"
fx_like "$FX_OUT" "^Lists	-	-\$|^Lists/dev	400	" "quail list: Lists/dev"

# --- STARTTLS, one folder ----------------------------------------------------------
im_fetch "$imap" --folder "草稿/子目录" -o "$FX_DIR/one" -v
fx_is "$FX_RC" 0 "imap:// (STARTTLS) --folder 草稿/子目录: exit 0"
fx_like "$FX_ERR" '^C: Q[0-9]+ STARTTLS' "STARTTLS was used"
fx_like "$FX_OUT" '^fetched 300 messages .* from 1 folders$' "--folder: 300 messages"
fx_check "--folder: into DIR/草稿/子目录, byte for byte" \
	test "$(im_folder_sums "$FX_DIR/one/草稿/子目录")" = "$(im_folder_sums "${sdir["草稿/子目录"]}")"
fx_is "$(im_count "$FX_DIR/one")" 300 "--folder: nothing else fetched"

# --- a --folder that does not exist ----------------------------------------------
im_fetch "$imaps" --folder Nope --folder "Lists/dev" -o "$FX_DIR/two"
fx_is "$FX_RC" 69 "a missing --folder: exit 69"
fx_like "$FX_ERR" 'Nope: no such folder' "a missing --folder is named"
fx_is "$(im_count "$FX_DIR/two")" 400 "the other folder is fetched all the same"

# --- UIDVALIDITY change: re-fetched into the same Maildir, nothing twice --------
before=$(im_count "$out")
im_doveadm mailbox update -u alice --uid-validity 4242 "Lists/dev" ||
	fx_bail "doveadm mailbox update failed"
im_gen "${sdir["Lists/dev"]}" 3 77 late
im_resync alice
im_fetch "$imaps" --all-folders -o "$out" -v
fx_is "$FX_RC" 0 "after a UIDVALIDITY change: exit 0"
fx_like "$FX_OUT" '^fetched 3 messages ' "after a UIDVALIDITY change: only the 3 new messages are stored"
fx_like "$FX_ERR" 'C: Q[0-9]+ UID FETCH 1:\* ' "after a UIDVALIDITY change: the folder is listed from UID 1"
fx_is "$(im_count "$out")" $((before + 3)) "after a UIDVALIDITY change: nothing stored twice"
fx_check "after a UIDVALIDITY change: Lists/dev byte for byte" \
	test "$(im_folder_sums "$out/Lists/dev")" = "$(im_folder_sums "${sdir["Lists/dev"]}")"
fx_like "$(cat "$out/.quail/imap-alice@127.0.0.1")" '^V [0-9]+ 4242$' "the journal has the new UIDVALIDITY"

# --- --delete ---------------------------------------------------------------------
bob_in=$(im_folder bob INBOX)
im_gen "$bob_in" 30 5 bob
im_resync bob
fx_run -t 60 "$QUAIL" fetch --imap "$imaps" --user bob --password-command "echo $FX_PASSWORD" \
	--ca-file "$FX_CA" -o "$FX_DIR/bob" --delete
fx_is "$FX_RC" 0 "--delete: exit 0"
fx_like "$FX_OUT" '^fetched 30 messages ' "--delete: 30 messages"
fx_is "$(im_count "$FX_DIR/bob")" 30 "--delete: 30 stored"
fx_is "$(im_doveadm -f flow mailbox status -u bob messages INBOX | grep -o 'messages=[0-9]*')" "messages=0" \
	"--delete: the server's INBOX is empty"

# --- COMPRESS=DEFLATE -------------------------------------------------------------
conf=$FX_DIR/dovecot-main/dovecot.conf
cat >>"$conf" <<-CONF
	protocol imap {
	  mail_plugins = \$mail_plugins imap_zlib
	}
CONF
im_doveadm reload || fx_bail "doveadm reload failed"
sleep 1
im_fetch "$imaps" --all-folders -o "$FX_DIR/z" -v
fx_is "$FX_RC" 0 "with COMPRESS=DEFLATE: exit 0"
fx_like "$FX_ERR" 'COMPRESS=DEFLATE started' "COMPRESS=DEFLATE is used when offered"
fx_check "with COMPRESS=DEFLATE: every message byte for byte" \
	test "$(im_sums "$FX_DIR/z")" = "$(im_sums "$out")"
im_fetch "$imaps" --all-folders -o "$FX_DIR/z"
fx_is "$FX_OUT" "fetched 0 messages (0 bytes) from 5 folders" "with COMPRESS=DEFLATE: a second run fetches nothing"

fx_done
