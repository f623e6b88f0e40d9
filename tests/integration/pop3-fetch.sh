#!/bin/bash
# quail fetch --pop3 against Dovecot on loopback (SPEC §5): 1,000 messages
# of mixed size, three of them over 10 MB, downloaded byte for byte over
# implicit TLS; a second run fetches nothing; STLS; --delete; an account
# from the config file; and the refusals: a certificate for another host or
# from an unknown CA (69), a plaintext server without STLS, to which no
# credentials may go (69), a wrong password (77), a Maildir that cannot be
# written (74). Skips (77) without Dovecot or quail fetch.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pop3-common.sh"

fx_need_quail
p3_need_fetch
fx_need_cmd openssl dovecot sha256sum awk
fx_init
fx_certs
fx_dovecot_start
fx_badtls_start

pop3s=pop3s://127.0.0.1:$FX_POP3S_PORT
pop3=pop3://127.0.0.1:$FX_POP3_PORT
alice_md=$(fx_maildir alice)
bob_md=$(fx_maildir bob)

# --- 1,000 messages over implicit TLS, byte for byte -------------------------
p3_gen "$alice_md" 1000 1 250 500 750
p3_resync alice
want=$(p3_sums "$alice_md")
fx_is "$(printf '%s\n' "$want" | grep -c .)" 1000 "the server holds 1000 messages"
out=$FX_DIR/alice
P3_TIMEOUT=120 p3_fetch "$pop3s" -o "$out"
fx_is "$FX_RC" 0 "pop3s fetch of 1000 messages: exit 0"
fx_diag "1000 messages ($(du -sm "$alice_md" | cut -f1) MB) in $FX_MS ms"
fx_like "$FX_OUT" '^fetched 1000 messages \([0-9]+ bytes\) from 1 folders$' \
	"pop3s fetch: the summary line"
fx_is "$(printf '%s\n' "$FX_OUT" | tail -1 | sed 's/^fetched [0-9]* messages (\([0-9]*\) bytes).*/\1/')" \
	"$(p3_bytes "$alice_md")" "pop3s fetch: the summary counts the bytes stored"
fx_is "$FX_ERR" "" "pop3s fetch: nothing on stderr (not a terminal: no progress)"
fx_check "every message stored byte for byte, exactly once" test "$(p3_sums "$out/INBOX")" = "$want"
fx_is "$(p3_count "$out/INBOX")" 1000 "1000 files in new/ and cur/"
fx_is "$(find "$out/INBOX/tmp" -type f | wc -l)" 0 "nothing left in tmp/"
fx_check "messages go into DIR/INBOX, not DIR (SPEC §5)" test ! -e "$out/new"
fx_check "state in DIR/.quail/" test -s "$out/.quail/pop3-alice@127.0.0.1"
fx_is "$(p3_count "$alice_md")" 1000 "without --delete the server keeps every message"

p3_fetch "$pop3s" -o "$out"
fx_is "$FX_RC" 0 "second run: exit 0"
fx_is "$FX_OUT" "fetched 0 messages (0 bytes) from 1 folders" "second run fetches nothing"
fx_is "$(p3_count "$out/INBOX")" 1000 "second run: still 1000 files"

# A Maildir as an older quail left it, the messages in DIR itself: the
# next run moves them into DIR/INBOX and fetches nothing again.
mv "$out/INBOX/new" "$out/INBOX/cur" "$out/INBOX/tmp" "$out/" && rmdir "$out/INBOX"
fx_is "$(p3_count "$out")" 1000 "older layout: 1000 files in DIR/new and DIR/cur"
p3_fetch "$pop3s" -o "$out"
fx_is "$FX_RC" 0 "run on the older layout: exit 0"
fx_is "$FX_OUT" "fetched 0 messages (0 bytes) from 1 folders" "run on the older layout fetches nothing"
fx_check "run on the older layout: moved, byte for byte" test "$(p3_sums "$out/INBOX")" = "$want"
fx_check "run on the older layout: DIR/new and DIR/cur are gone" \
	test ! -e "$out/new" -a ! -e "$out/cur" -a ! -e "$out/tmp"

# --- STLS, --delete ---------------------------------------------------------------
p3_gen "$bob_md" 20 2
p3_resync bob
bob_want=$(p3_sums "$bob_md")
bobfetch() { fx_run -t 60 "$QUAIL" fetch --pop3 "$1" --user bob \
	--password-command "echo $FX_PASSWORD" --ca-file "$FX_CA" --timeout 20 "${@:2}"; }
bobfetch "$pop3" -o "$FX_DIR/bob" --quiet
fx_is "$FX_RC" 0 "pop3:// with STLS: exit 0"
fx_is "$FX_OUT" "fetched 20 messages ($(p3_bytes "$bob_md") bytes) from 1 folders" \
	"STLS fetch: 20 messages"
fx_check "STLS fetch: byte for byte" test "$(p3_sums "$FX_DIR/bob/INBOX")" = "$bob_want"
bobfetch "$pop3" -o "$FX_DIR/bob" --delete
fx_is "$FX_RC" 0 "--delete after a plain fetch: exit 0"
fx_is "$FX_OUT" "fetched 0 messages (0 bytes) from 1 folders" "--delete: nothing new to fetch"
fx_is "$(p3_count "$bob_md")" 0 "--delete removed the messages already stored"
fx_check "--delete: the local copies are all there" test "$(p3_sums "$FX_DIR/bob/INBOX")" = "$bob_want"

p3_gen "$bob_md" 5 3
p3_resync bob
bob_want2=$(p3_sums "$bob_md")
bobfetch "$pop3s" -o "$FX_DIR/bob2" --delete
fx_is "$FX_RC" 0 "fetch --delete: exit 0"
fx_like "$FX_OUT" '^fetched 5 messages ' "fetch --delete: 5 messages"
fx_is "$(p3_count "$bob_md")" 0 "fetch --delete: the server is empty"
fx_check "fetch --delete: every message stored" test "$(p3_sums "$FX_DIR/bob2/INBOX")" = "$bob_want2"

# --- an account from the config file ---------------------------------------------
p3_gen "$bob_md" 3 4
p3_resync bob
cfg=$FX_DIR/config
cat >"$cfg" <<-EOF
	[general]
	maildir = $FX_DIR/mail
	[account home]
	pop3 = $pop3s
	user = bob
	password_command = echo $FX_PASSWORD
	ca_file = $FX_CA
EOF
fx_run -t 60 "$QUAIL" fetch --config "$cfg" --account home
fx_is "$FX_RC" 0 "account from the config file: exit 0"
fx_like "$FX_OUT" '^fetched 3 messages ' "account from the config file: 3 messages"
fx_is "$(p3_count "$FX_DIR/mail/home/INBOX")" 3 "into the account's Maildir"
fx_run -t 60 "$QUAIL" fetch --config "$cfg" --account home -o "$FX_DIR/elsewhere" -q
fx_is "$(p3_count "$FX_DIR/elsewhere/INBOX")" 3 "-o overrides the account's Maildir"

# --- refusals ------------------------------------------------------------------------
p3_fetch "pop3s://127.0.0.1:$FX_WRONGHOST_PORT" -o "$FX_DIR/x"
fx_is "$FX_RC" 69 "certificate for another host: exit 69"
fx_like "$FX_ERR" '^quail: .*certificate does not match host name' \
	"certificate for another host: says so"
CA=$FX_OTHER_CA p3_fetch "$pop3s" -o "$FX_DIR/x"
fx_is "$FX_RC" 69 "unknown CA: exit 69"
fx_like "$FX_ERR" '^quail: .*certificate issuer is unknown' "unknown CA: says so"
fx_is "$(p3_count "$FX_DIR/x")" 0 "TLS failures store nothing"

fx_fake_start plain nostarttls pop3
p3_fetch "pop3://127.0.0.1:$(fx_port plain)" -o "$FX_DIR/x"
fx_is "$FX_RC" 69 "pop3:// without STLS on offer: exit 69"
fx_like "$FX_ERR" '^quail: .*STLS' "pop3:// without STLS on offer: says STLS"
log=$(fx_fake_log plain)
fx_like "$log" '^C: CAPA' "pop3:// without STLS: quail did talk to the fake"
fx_unlike "$log" '^C: (USER|PASS|APOP|AUTH)( |$)' "pop3:// without STLS: no login command sent"
fx_no_password "pop3:// without STLS: the password never crossed" "$log"

fx_run -t 60 "$QUAIL" fetch --pop3 "$pop3s" --user alice --password-command "echo wrong" \
	--ca-file "$FX_CA" -o "$FX_DIR/x"
fx_is "$FX_RC" 77 "wrong password: exit 77"
fx_like "$FX_ERR" '^quail: pop3s://.*login' "wrong password: says login failed"

: >"$FX_DIR/notadir"
p3_fetch "$pop3s" -o "$FX_DIR/notadir"
fx_is "$FX_RC" 74 "Maildir path is a file: exit 74"

fx_run -t 10 "$QUAIL" fetch --pop3 "$pop3s" --folder Sent -o "$FX_DIR/x"
fx_is "$FX_RC" 64 "--folder with POP3: usage error"

fx_done
