#!/bin/bash
# Checks the fixture itself with openssl and bash, without quail: the
# certificates say what they should, every server answers on its port, the
# bad-certificate servers fail verification for the intended reason, each
# fakeserver scenario behaves, and the EXIT trap stops everything even when
# a test fails or is killed. Postfix parts are skipped unless root.
. "$(dirname "$0")/lib.sh"

fx_need_cmd openssl dovecot
fx_init
fx_certs

# --- certificates
v() { openssl verify -CAfile "$FX_CA" "$@" 2>&1; }
fx_like "$(v -verify_hostname localhost "$FX_TLS/server.pem")" ': OK$' \
	"server cert: valid for localhost"
fx_like "$(v -verify_ip 127.0.0.1 "$FX_TLS/server.pem")" ': OK$' "server cert: valid for 127.0.0.1"
fx_like "$(v -verify_ip ::1 "$FX_TLS/server.pem")" ': OK$' "server cert: valid for ::1"
fx_like "$(v "$FX_TLS/expired.pem")" 'certificate has expired' "expired cert: expired"
fx_like "$(v "$FX_TLS/wronghost.pem")" ': OK$' "wrong-host cert: signed by the CA"
fx_like "$(v -verify_hostname localhost "$FX_TLS/wronghost.pem")" 'hostname mismatch' \
	"wrong-host cert: not for localhost"
fx_like "$(v -verify_ip 127.0.0.1 "$FX_TLS/wronghost.pem")" 'IP address mismatch' \
	"wrong-host cert: not for 127.0.0.1"
fx_like "$(v "$FX_TLS/unknownca.pem")" 'unable to get local issuer' \
	"unknown-CA cert: issuer unknown"
if command -v certtool >/dev/null; then
	ct() { certtool --verify --load-ca-certificate "$FX_CA" --infile "$FX_TLS/$1.pem" \
		--verify-hostname localhost 2>&1; }
	fx_like "$(ct expired)" 'expired' "GnuTLS: expired cert is expired"
	fx_like "$(ct wronghost)" 'does not match' "GnuTLS: wrong-host cert does not match"
	fx_like "$(ct unknownca)" 'issuer is unknown' "GnuTLS: unknown-CA cert has an unknown issuer"
else
	fx_skip "GnuTLS verification reasons" "certtool not installed"
fi

# --- Dovecot
fx_dovecot_start
fx_dovecot_start cram cram-md5
out=$(printf 'a CAPABILITY\nb LOGIN alice secret\nc LOGIN bob wrong\nd LOGOUT\n' |
	fx_tls "$FX_IMAPS_PORT" 10 2>/dev/null)
fx_like "$out" '^\* OK .*Dovecot' "IMAPS: verified handshake, greeting"
fx_like "$out" '^\* CAPABILITY .*AUTH=CRAM-MD5 AUTH=SCRAM-SHA-1 AUTH=SCRAM-SHA-256' \
	"IMAPS: offers every configured mechanism"
fx_like "$out" '^b OK ' "IMAPS: alice logs in with secret"
out=$(printf 'a LOGIN bob wrong\nb LOGOUT\n' | fx_tls "$FX_IMAPS_PORT" 10 2>/dev/null)
fx_like "$out" '^a NO \[AUTHENTICATIONFAILED\]' "IMAPS: a wrong password is refused"
out=$(printf 'a CAPABILITY\nb LOGOUT\n' | fx_tls "$FX_IMAP_PORT" 10 -starttls imap 2>/dev/null)
fx_like "$out" '^\* CAPABILITY IMAP4rev1' "IMAP STARTTLS: verified handshake"
out=$(printf 'CAPA\nUSER bob\nPASS secret\nQUIT\n' | fx_tls "$FX_POP3S_PORT" 10 2>/dev/null)
fx_like "$out" '^SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256' \
	"POP3S: CAPA lists the mechanisms"
fx_like "$out" '^\+OK Logged in' "POP3S: bob logs in"
out=$(printf 'CAPA\nQUIT\n' | fx_tls "$FX_POP3_PORT" 10 -starttls pop3 2>/dev/null)
fx_like "$out" '^SASL ' "POP3 STLS: verified handshake"
out=$(printf 'a CAPABILITY\nb LOGOUT\n' | fx_plain "$FX_IMAP_PORT")
fx_like "$out" '^\* CAPABILITY .*STARTTLS' "IMAP plaintext port offers STARTTLS"
out=$(printf 'a CAPABILITY\nb LOGOUT\n' | fx_tls "$(fx_port cram-imaps)" 10 2>/dev/null)
fx_like "$out" '^\* CAPABILITY .*AUTH=CRAM-MD5' "second instance: offers CRAM-MD5"
fx_unlike "$out" 'AUTH=(PLAIN|LOGIN|SCRAM)' "second instance: offers nothing else"

# --- Postfix
if fx_have_postfix; then
	fx_postfix_start cram-md5 scram-sha-256
	out=$(printf 'EHLO x\nQUIT\n' | fx_tls "$FX_SMTPS_PORT" 10 2>/dev/null)
	fx_like "$out" '^250-AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256' "smtps: all mechanisms"
	out=$(printf 'EHLO x\nQUIT\n' | fx_tls "$(fx_port smtps-cram-md5)" 10 2>/dev/null)
	fx_like "$out" '^250-AUTH CRAM-MD5$' "smtps-cram-md5: CRAM-MD5 only"
	out=$(printf 'EHLO x\nQUIT\n' | fx_tls "$(fx_port smtps-scram-sha-256)" 10 2>/dev/null)
	fx_like "$out" '^250-AUTH SCRAM-SHA-256$' "smtps-scram-sha-256: SCRAM-SHA-256 only"
	out=$(printf 'EHLO x\nQUIT\n' | fx_tls "$FX_SUBMISSION_PORT" 10 -starttls smtp 2>/dev/null)
	fx_like "$out" '^250-AUTH ' "submission: AUTH after STARTTLS"
else
	fx_skip "Postfix endpoints" "Postfix needs root"
fi

# --- servers with bad certificates
fx_badtls_start
for kind in expired wronghost unknownca; do
	port=$(fx_port "badtls-$kind")
	err=$(echo CLOSE | fx_tls "$port" 10 2>&1 >/dev/null)
	case $kind in
	expired) want='certificate has expired' ;;
	wronghost) want='hostname mismatch' ;;
	unknownca) want='self-signed certificate in certificate chain|unable to get local issuer' ;;
	esac
	fx_like "$err" "$want" "$kind server: verification fails ($want)"
	# Without verification the server works: it echoes the line reversed.
	out=$(printf 'hello\nCLOSE\n' | timeout 10 openssl s_client -connect "127.0.0.1:$port" \
		-quiet 2>/dev/null | tr -d '\r')
	fx_is "$out" olleh "$kind server: TLS works when not verifying"
done

# --- fake servers
fx_fake_start fclose close
fx_run fx_plain "$(fx_port fclose)" 5
fx_is "$FX_RC:$FX_OUT" "0:" "close: end of stream, no data"
fx_check "close: at once (${FX_MS} ms)" test "$FX_MS" -lt 2000

fx_fake_start greet greet-close '* OK IMAP4rev1 ready'
fx_run fx_plain "$(fx_port greet)" 5
fx_is "$FX_RC:$FX_OUT" "0:* OK IMAP4rev1 ready" "greet-close: greeting, then end of stream"

fx_fake_start quiet silent
fx_run fx_plain "$(fx_port quiet)" 2
fx_is "$FX_RC:$FX_OUT" "124:" "silent: nothing within 2 s, connection held"

fx_fake_start imap nostarttls imap
out=$(printf 'a CAPABILITY\nb STARTTLS\nc LOGOUT\n' | fx_plain "$(fx_port imap)")
fx_is "$out" "* OK fake IMAP server ready
* CAPABILITY IMAP4rev1 AUTH=PLAIN
a OK CAPABILITY completed
b BAD command not supported
* BYE logging out
c OK LOGOUT completed" "nostarttls imap: CAPABILITY without STARTTLS"
fx_like "$(fx_fake_log imap)" '^C: b STARTTLS$' "nostarttls imap: logs what the client sent"
fx_fake_start pop3 nostarttls pop3
out=$(printf 'CAPA\nSTLS\nQUIT\n' | fx_plain "$(fx_port pop3)")
fx_like "$out" '^SASL PLAIN$' "nostarttls pop3: CAPA with SASL"
fx_unlike "$out" '^STLS' "nostarttls pop3: no STLS"
fx_like "$out" '^-ERR' "nostarttls pop3: STLS refused"
fx_fake_start smtp nostarttls smtp
out=$(printf 'EHLO x\nQUIT\n' | fx_plain "$(fx_port smtp)")
fx_like "$out" '^250-AUTH PLAIN LOGIN$' "nostarttls smtp: EHLO offers AUTH"
fx_unlike "$out" 'STARTTLS' "nostarttls smtp: no STARTTLS"
fx_like "$out" '^221 ' "nostarttls smtp: QUIT"

cat >"$FX_DIR/play" <<'EOF'
# a tiny script
S: +OK scripted
C: HELLO
S: +OK hi
C:
close
EOF
fx_fake_start scripted script "$FX_DIR/play"
out=$(printf 'HELLO\nBYE\n' | fx_plain "$(fx_port scripted)")
fx_is "$out" "+OK scripted
+OK hi" "script: plays its lines"
fx_unlike "$(fx_fake_log scripted)" '^!!' "script: client lines as expected"

# --- teardown, also on failure or a signal
# A pid is told apart from a later process given the same number (pids
# wrap quickly on a busy machine) by its start time.
starttime() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
pids=$(fx__pids_of '*' | tr '\n' ' ')
declare -A born
for pid in $pids; do born[$pid]=$(starttime "$pid"); done
fx_stop_all
left=
for pid in $pids; do
	fx__alive "$pid" && [ "$(starttime "$pid")" = "${born[$pid]}" ] && left="$left $pid"
done
fx_is "$left" "" "fx_stop_all stopped every server ($(echo $pids | wc -w) pids)"

child_case() { # how-the-child-ends
	local dir pids left
	rm -f "$FX_DIR/child.dir"
	FX_TMPDIR=$FX_DIR bash -c '. "$1/lib.sh"
		fx_init >/dev/null
		fx_certs
		fx_dovecot_start main plain
		fx_fake_start s silent
		fx_badtls_start
		echo "$FX_DIR" >"$2.tmp" && mv "$2.tmp" "$2"
		case $3 in
		fail) fx_fail "on purpose" >/dev/null; fx_done >/dev/null ;;
		*)	# wait, unlike a foreground command, lets the TERM trap run at once
			sleep 60 &
			echo $! >"$FX_DIR/sleep.pid"
			fx__track sleep "$FX_DIR/sleep.pid"
			wait $! ;;
		esac' _ "$FX_LIB_DIR" "$FX_DIR/child.dir" "$1" >/dev/null 2>&1 &
	local cpid=$!
	fx__wait_file "$FX_DIR/child.dir" 30
	dir=$(cat "$FX_DIR/child.dir" 2>/dev/null)
	pids=$(cat "$dir"/dovecot-main/run/master.pid "$dir"/*.pid 2>/dev/null | tr '\n' ' ')
	[ "$1" = kill ] && kill -TERM "$cpid"
	timeout 20 tail --pid="$cpid" -f /dev/null
	wait "$cpid"
	local rc=$? i
	# After a signal the child leaves the waiting to a detached process.
	for ((i = 0; i < 150; i++)); do
		left=
		for pid in $pids; do fx__alive "$pid" && left="$left $pid"; done
		[ -z "$left" ] && [ ! -e "$dir" ] && break
		sleep 0.1
	done
	fx_is "$rc:$left" "$2:" "child that ends by $1: exit $2, its $(echo $pids | wc -w) servers stopped"
	fx_check "child that ends by $1: its directory is removed" test -n "$dir" -a ! -e "$dir"
}
child_case fail 1
child_case kill 143

fx_done
