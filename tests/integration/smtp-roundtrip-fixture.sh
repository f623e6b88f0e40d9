#!/bin/bash
# Proves the fixture, not quail: a message submitted to the fixture's Postfix
# (STARTTLS, AUTH PLAIN via Dovecot) lands in the Dovecot user's Maildir, where
# fx_maildir_wait finds it. This is how SMTP tests read what the server got.
# Needs root (Postfix), dovecot and openssl; exits 77 without them.
. "$(dirname "$0")/lib.sh"

fx_need_cmd openssl dovecot
fx_need_postfix
fx_init
fx_certs
fx_dovecot_start
fx_postfix_start

token="roundtrip-$$-$RANDOM"
auth=$(printf '\0alice\0%s' "$FX_PASSWORD" | base64 -w0)
tls_opts=(-CAfile "$FX_CA" -verify_return_error -verify_hostname localhost
	-servername localhost -crlf -quiet)

# expect_line DESC ERE [SECONDS]: the client prints a line matching ERE
expect_line() {
	if fx_client_expect "$2" "${3:-10}"; then
		fx_pass "$1"
	else
		fx_fail "$1" "no line matched /$2/:" "$(tail -n 8 "$FX_CLIENT_LOG")"
	fi
}

# Plaintext on the submission port: STARTTLS offered, AUTH not (yet).
fx_client_start bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
	cat <&3 &
	sed -u "s/\$/\r/" >&3' _ "$FX_SUBMISSION_PORT"
expect_line "submission greets in plaintext" '^220 '
fx_client_send "EHLO client.example.test"
ehlo=
while fx_client_expect '^250' 5; do
	ehlo+="$FX_LINE"$'\n'
	[[ $FX_LINE == "250 "* ]] && break
done
fx_like "$ehlo" '^250[- ]STARTTLS' "plaintext EHLO offers STARTTLS"
fx_unlike "$ehlo" '^250[- ]AUTH' "plaintext EHLO hides AUTH (smtpd_tls_auth_only)"
fx_client_send "MAIL FROM:<alice@$FX_DOMAIN>"
fx_client_expect '^[0-9]{3} ' 5
fx_like "$FX_LINE" '^530 ' "MAIL before STARTTLS is refused (530)"
fx_client_send QUIT
fx_client_expect '^221 ' 5
fx_client_stop

# Implicit TLS port: verified handshake, AUTH offered.
fx_client_start openssl s_client -connect "127.0.0.1:$FX_SMTPS_PORT" "${tls_opts[@]}"
expect_line "smtps: verified TLS handshake and greeting" '^220 '
fx_client_send "EHLO client.example.test"
expect_line "smtps: EHLO offers AUTH" '^250[- ]AUTH ' 5
fx_client_send QUIT
fx_client_expect '^221 ' 5
fx_client_stop

# The round trip, over STARTTLS on the submission port.
# expect_reply CODE DESC: the next final reply line has CODE
expect_reply() {
	if fx_client_expect '^[0-9]{3} ' 10 && [[ $FX_LINE == "$1 "* ]]; then
		fx_pass "$2"
	else
		fx_fail "$2" "want $1, got '$FX_LINE'" "$(tail -n 5 "$FX_CLIENT_LOG")"
	fi
}
fx_client_start openssl s_client -connect "127.0.0.1:$FX_SUBMISSION_PORT" \
	-starttls smtp "${tls_opts[@]}"
fx_client_send "EHLO client.example.test"
expect_reply 250 "STARTTLS, then EHLO"
fx_client_send "AUTH PLAIN $auth"
expect_reply 235 "AUTH PLAIN as alice"
fx_client_send "MAIL FROM:<alice@$FX_DOMAIN>"
expect_reply 250 "MAIL FROM"
fx_client_send "RCPT TO:<someone@elsewhere.invalid>"
expect_reply 554 "RCPT to another domain is refused: nothing leaves the machine"
fx_client_send "RCPT TO:<nobody@$FX_DOMAIN>"
expect_reply 550 "RCPT to an unknown local user is refused"
fx_client_send "RCPT TO:<bob@$FX_DOMAIN>"
expect_reply 250 "RCPT TO bob"
fx_client_send "DATA"
expect_reply 354 "DATA"
fx_client_send "From: Alice <alice@$FX_DOMAIN>"
fx_client_send "To: Bob <bob@$FX_DOMAIN>"
fx_client_send "Subject: fixture round trip $token"
fx_client_send "Message-ID: <$token@client.example.test>"
fx_client_send ""
fx_client_send "Body line with the token $token."
fx_client_send ".."
fx_client_send "That line above was a lone dot, stuffed."
fx_client_send "."
expect_reply 250 "message accepted"
fx_client_send "QUIT"
expect_reply 221 "QUIT"
fx_client_stop

# What the server received, read from bob's Maildir.
if files=$(fx_maildir_wait bob 1 15); then
	fx_pass "fx_maildir_wait bob 1: delivered over LMTP"
else
	fx_fail "fx_maildir_wait bob 1: delivered over LMTP" "$(tail -n 20 "$FX_DIR/logs/postfix.log")"
fi
fx_is "$(printf '%s\n' "$files" | grep -c .)" 1 "exactly one message for bob"
msg=$(cat $files 2>/dev/null)
fx_like "$msg" "^Subject: fixture round trip $token" "stored message has the Subject"
fx_like "$msg" "^Body line with the token $token\.\$" "stored message has the body"
fx_like "$msg" '^\.$' "dot-stuffing was undone"
fx_like "$msg" "^[[:space:]]+by mail\.$FX_DOMAIN \(Postfix\) with ESMTPSA" \
	"Postfix recorded an authenticated TLS submission (ESMTPSA)"
fx_like "$msg" '^Return-Path: <alice@example.test>' "LMTP kept the envelope sender"
if alice=$(fx_maildir_wait alice 1 0 2>/dev/null); then
	fx_fail "alice got nothing (no bounce)" "$alice"
else
	fx_pass "alice got nothing (no bounce)"
fi

fx_done
