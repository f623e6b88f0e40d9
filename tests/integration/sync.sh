#!/bin/bash
# quail sync against Dovecot on loopback (SPEC §10): a first sync; flag
# changes on both sides merged per flag (both set, both cleared, one each);
# deletions both ways; a local move and a server move; a local new message
# appended and never downloaded back; folders made on either side
# (one named with a space and non-ASCII); a UIDVALIDITY change and a lost
# state (nothing deleted, nothing twice); --dry-run changes nothing; and
# SIGKILL at random points over 20 rounds, both sides compared after each
# rerun. Skips (77) without Dovecot or quail sync.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-common.sh"

fx_need_quail
timeout 10 "$QUAIL" sync --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no sync command"
fx_need_cmd openssl dovecot doveadm sha256sum awk
fx_init
fx_certs
fx_dovecot_start

imaps=imaps://127.0.0.1:$FX_IMAPS_PORT
out=$FX_DIR/out

qs() { # quail sync as alice into $out
	fx_run -t "${IM_TIMEOUT:-120}" "$QUAIL" sync --imap "$imaps" --user alice \
		--password-command "echo $FX_PASSWORD" --ca-file "$FX_CA" --timeout 20 -o "$out" "$@"
}

# srv_flags FOLDER / loc_flags FOLDER: "<message-id> LETTERS", sorted.
srv_flags() { im_server_flags alice "$1"; }
loc_flags() { im_local_flags "$out/$1"; }

# same FOLDER...: both sides hold the same messages with the same flags,
# each once.
same() {
	local f bad= sv lv
	for f in "$@"; do
		sv=$(srv_flags "$f")
		lv=$(loc_flags "$f")
		if [ "$sv" != "$lv" ]; then
			bad="$bad $f(differ)"
			fx_diag "$f server: $(echo "$sv" | tr '\n' ' ')"
			fx_diag "$f here:   $(echo "$lv" | tr '\n' ' ')"
		fi
		[ -n "$(echo "$sv" | awk '{print $1}' | uniq -d)" ] && bad="$bad $f(dup server)"
		[ -n "$(echo "$lv" | awk '{print $1}' | uniq -d)" ] && bad="$bad $f(dup here)"
	done
	[ -z "$bad" ] || { fx_diag "mismatch:$bad"; return 1; }
}

mid() { echo "<$1@example.test>"; } # the Message-ID of im_gen's message PRE.I.SEED: mid PRE.I.SEED

# lfile FOLDER MSGID: the local file holding it
lfile() {
	grep -l -m1 -F "Message-ID: $2" "$out/$1"/cur/* "$out/$1"/new/* 2>/dev/null | head -1
}
# lflags FOLDER MSGID LETTERS: give the local copy exactly these flags
lflags() {
	local f b
	f=$(lfile "$1" "$2")
	[ -n "$f" ] || fx_bail "no local copy of $2 in $1"
	b=${f##*/}
	b=${b%%:2,*}
	mv "$f" "$out/$1/cur/$b:2,$3"
}
sflags() { # add|remove FLAGS FOLDER MSGID
	im_doveadm flags "$1" -u alice "$2" mailbox "$3" header Message-ID "$4" ||
		fx_bail "doveadm flags $1 failed"
}
flags_of() { # FOLDER MSGID SIDE(srv|loc): its letters
	"${3}_flags" "$1" | awk -v id="$2" '$1 == id { print $2 }'
}

# --- a first sync -------------------------------------------------------------
inbox=$(im_folder alice INBOX)
im_gen "$inbox" 30 1 m
im_resync alice
qs
fx_is "$FX_RC" 0 "first sync: exit 0"
fx_like "$FX_OUT" '^synced 1 folders: \+0 -0 ~0 on the server, \+30 -0 ~0 here$' "first sync: the summary line"
fx_check "first sync: both sides the same" same INBOX
fx_check "state in DIR/.quail/sync-INBOX" test -s "$out/.quail/sync-INBOX"
qs
fx_like "$FX_OUT" '^synced 1 folders: \+0 -0 ~0 on the server, \+0 -0 ~0 here$' "a second run changes nothing"
qs -v
fx_like "$FX_ERR" 'C: [A-Z0-9]+ STATUS "?INBOX"? ' "nothing changed: STATUS tells"
fx_unlike "$FX_ERR" 'C: [A-Z0-9]+ SELECT ' "nothing changed on either side: the folder is not selected"

# --- flags, per flag ------------------------------------------------------------
# m.1.1 has S: both clear it. m.5.1 has none: both set F. m.6.1 (S): F on
# the server, R here. m.7.1 (FS): server clears F, here clears S.
a=$(mid m.1.1) b=$(mid m.5.1) c=$(mid m.6.1) d=$(mid m.7.1)
sflags remove '\Seen' INBOX "$a"; lflags INBOX "$a" ""
sflags add '\Flagged' INBOX "$b"; lflags INBOX "$b" F
sflags add '\Flagged' INBOX "$c"; lflags INBOX "$c" RS
sflags remove '\Flagged' INBOX "$d"; lflags INBOX "$d" F
qs
fx_is "$FX_RC" 0 "flag sync: exit 0"
fx_check "flags: both sides the same" same INBOX
fx_is "$(flags_of INBOX "$a" srv)" "" "both cleared \\Seen: cleared"
fx_is "$(flags_of INBOX "$b" srv)" "F" "both set \\Flagged: set, once"
fx_is "$(flags_of INBOX "$c" srv)" "FRS" "F on the server and R here: both"
fx_is "$(flags_of INBOX "$d" srv)" "" "F cleared there and S cleared here: neither"

# --- deletions both ways --------------------------------------------------------
e=$(mid m.8.1) f=$(mid m.9.1) g=$(mid m.10.1)
rm -f "$(lfile INBOX "$e")"
lflags INBOX "$g" ST
im_doveadm expunge -u alice mailbox INBOX header Message-ID "$f" || fx_bail "doveadm expunge failed"
qs
fx_is "$FX_RC" 0 "deletions: exit 0"
fx_is "$(srv_flags INBOX | grep -cF "$e")" 0 "removed here: expunged on the server"
fx_is "$(srv_flags INBOX | grep -cF "$g")" 0 "flagged T here: expunged on the server"
fx_is "$(loc_flags INBOX | grep -cF "$f")" 0 "expunged there: removed here"
fx_check "deletions: both sides the same" same INBOX
fx_is "$(srv_flags INBOX | wc -l)" 27 "27 messages left"

# --- folders made on either side, moves ---------------------------------------
spaced="Mein Ordner ü"
im_doveadm mailbox create -u alice Archiv || fx_bail "doveadm mailbox create failed"
mkdir -p "$out/$spaced/cur" "$out/$spaced/new" "$out/$spaced/tmp"
printf 'From: x@example.test\nSubject: local\nMessage-ID: <local.1@example.test>\n\nhello\n' \
	>"$out/$spaced/new/1700000000.local1.host"
qs --all-folders
fx_is "$FX_RC" 0 "--all-folders: exit 0"
fx_check "a server folder is made here" test -d "$out/Archiv/cur"
fx_is "$(srv_flags "$spaced")" "<local.1@example.test> " "a local folder (space, non-ASCII) is made on the server with its message"
h=$(mid m.11.1) k=$(mid m.12.1)
hf=$(lfile INBOX "$h")
mv "$hf" "$out/Archiv/cur/"
im_doveadm move -u alice Archiv mailbox INBOX header Message-ID "$k" || fx_bail "doveadm move failed"
qs --all-folders -v
fx_is "$FX_RC" 0 "moves: exit 0"
fx_like "$FX_ERR" 'C: [A-Z0-9]+ UID MOVE [0-9]+ ' "a local move is a server UID MOVE"
fx_unlike "$FX_ERR" 'C: [A-Z0-9]+ APPEND "?Archiv' "... not an upload"
fx_is "$(srv_flags Archiv | grep -cF -e "$h" -e "$k")" 2 "both moved messages are in Archiv on the server"
fx_is "$(loc_flags Archiv | grep -cF -e "$h" -e "$k")" 2 "... and here"
fx_is "$(srv_flags INBOX | grep -cF -e "$h" -e "$k")" 0 "... and not in INBOX there"
fx_is "$(loc_flags INBOX | grep -cF -e "$h" -e "$k")" 0 "... nor here"
fx_check "after moves: every folder the same" same INBOX Archiv "$spaced"

# --- a new local message: appended once, not downloaded back ------------------
printf 'From: y@example.test\r\nSubject: new here\r\nMessage-ID: <new.1@example.test>\r\n\r\nhi\r\n' \
	>"$out/INBOX/cur/1700000001.new1.host:2,S"
qs
fx_like "$FX_OUT" '^synced 1 folders: \+1 -0 ~0 on the server, \+0 -0 ~0 here$' "a new local message is appended"
fx_is "$(flags_of INBOX '<new.1@example.test>' srv)" "S" "... with its flags"
qs
fx_like "$FX_OUT" '^synced 1 folders: \+0 -0 ~0 on the server, \+0 -0 ~0 here$' "... and not downloaded back"
fx_check "new message: both sides the same, once" same INBOX

# --- --dry-run ----------------------------------------------------------------
lflags INBOX "$(mid m.13.1)" F
sflags add '\Answered' INBOX "$(mid m.14.1)"
before_l=$(loc_flags INBOX) before_s=$(srv_flags INBOX)
qs --dry-run
fx_is "$FX_RC" 0 "--dry-run: exit 0"
fx_like "$FX_OUT" '^~ server INBOX: uid [0-9]+ \+F' "--dry-run lists the server change"
fx_like "$FX_OUT" '^~ here INBOX: uid [0-9]+ \+R' "--dry-run lists the local change"
fx_like "$FX_OUT" '^synced 1 folders: \+0 -0 ~1 on the server, \+0 -0 ~1 here$' "--dry-run: the summary line"
fx_is "$(loc_flags INBOX)" "$before_l" "--dry-run changed nothing here"
fx_is "$(srv_flags INBOX)" "$before_s" "--dry-run changed nothing on the server"
qs
fx_check "after the real run: both sides the same" same INBOX

# --- UIDVALIDITY change and a lost state --------------------------------------
n_s=$(srv_flags INBOX | wc -l)
im_doveadm mailbox update -u alice --uid-validity 4242 INBOX || fx_bail "doveadm mailbox update failed"
lflags INBOX "$(mid m.15.1)" FS
qs
fx_is "$FX_RC" 0 "UIDVALIDITY change: exit 0"
fx_like "$FX_OUT" '^synced 1 folders: \+0 -0 ~1 on the server, \+0 -0 ~0 here$' "UIDVALIDITY change: paired by content, the flag carried"
fx_is "$(srv_flags INBOX | wc -l)" "$n_s" "UIDVALIDITY change: nothing deleted or doubled"
fx_check "UIDVALIDITY change: both sides the same" same INBOX
rm -f "$out"/.quail/sync-*
rm -f "$(lfile INBOX "$(mid m.16.1)")"
qs --all-folders
fx_is "$FX_RC" 0 "lost state: exit 0"
fx_like "$FX_OUT" '^synced 3 folders: \+0 -0 ~0 on the server, \+1 -0 ~0 here$' "lost state: nothing deleted, the removed file comes back"
fx_check "lost state: every folder the same, once" same INBOX Archiv "$spaced"

# --- Ctrl-C: stops between steps, exit 75, the next run completes --------------
big=$(im_folder alice Big)
im_gen "$big" 300 3 big
im_resync alice
"$QUAIL" sync --imap "$imaps" --user alice --password-command "echo $FX_PASSWORD" \
	--ca-file "$FX_CA" --timeout 20 -o "$out" --folder Big >"$FX_DIR/int.out" 2>"$FX_DIR/int.err" &
pid=$!
for _ in $(seq 100); do
	[ "$(im_count "$out/Big")" -gt 20 ] && break
	sleep 0.05
done
kill -INT "$pid"
wait "$pid"
rc=$?
if [ "$rc" = 0 ]; then
	fx_skip "SIGINT: exit 75" "the sync ended before the signal"
else
	fx_is "$rc" 75 "SIGINT: exit 75"
	fx_like "$(cat "$FX_DIR/int.out")" '^synced 0 folders: ' "SIGINT: the summary line still comes"
fi
qs --folder Big
fx_is "$FX_RC" 0 "after SIGINT: the next run completes"
fx_check "after SIGINT: Big the same on both sides, nothing twice" same Big

# --- SIGKILL at random points ---------------------------------------------------
RANDOM=7
for round in $(seq 1 20); do
	# changes on both sides
	new="kill.$round"
	printf 'From: z@example.test\r\nSubject: round %d\r\nMessage-ID: <%s@example.test>\r\n\r\nbody\r\n' \
		"$round" "$new" >"$out/INBOX/new/17000001$round.k$round.host"
	printf 'From: w@example.test\r\nSubject: there %d\r\nMessage-ID: <srv.%d@example.test>\r\n\r\nbody %d\r\n' \
		"$round" "$round" "$round" | im_doveadm save -u alice -m INBOX || fx_bail "doveadm save failed"
	mapfile -t ids < <(loc_flags INBOX | awk '{print $1}' | shuf -n 3 --random-source=<(yes $round))
	lflags INBOX "${ids[0]}" "FS"
	sflags add '\Answered' INBOX "${ids[1]}"
	[ $((round % 3)) = 0 ] && rm -f "$(lfile INBOX "${ids[2]}")"
	"$QUAIL" sync --imap "$imaps" --user alice --password-command "echo $FX_PASSWORD" \
		--ca-file "$FX_CA" --timeout 20 -o "$out" -q >/dev/null 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 40))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	qs -q
	if [ "$FX_RC" != 0 ] || ! same INBOX; then
		fx_fail "SIGKILL round $round: the rerun leaves both sides the same, nothing twice" "$FX_ERR"
		break
	fi
done
[ "$round" = 20 ] && same INBOX && fx_pass "SIGKILL at random points, 20 rounds: both sides the same after each rerun"

fx_done
