#!/bin/bash
# quail serverinfo against real and misbehaving servers on loopback: TLS
# (implicit and STARTTLS) to Dovecot IMAP/POP3 and Postfix SMTP, certificate
# failures (expired, wrong host, unknown CA), dropped and silent connections,
# and plaintext servers without STARTTLS, to which no credentials may go.
# Exit codes (SPEC): 0 ok, 69 TLS failure or refusal, 75 connection lost,
# refused or timed out. Skips (77) until $QUAIL has serverinfo.
. "$(dirname "$0")/lib.sh"

fx_need_quail
fx_need_cmd openssl dovecot
fx_init
fx_certs
fx_dovecot_start
if fx_have_postfix; then
	fx_postfix_start
fi
fx_badtls_start

si() { fx_serverinfo "$@"; }

# expect_ok DESC URL [args...]: exit 0 and the report on stdout
expect_ok() {
	local desc=$1
	shift
	si "$@" --timeout 10
	fx_is "$FX_RC" 0 "$desc: exit 0"
	fx_like "$FX_OUT" "^server: $1\$" "$desc: server line"
	fx_like "$FX_OUT" '^greeting: .*(Dovecot|Postfix)' "$desc: greeting line"
	fx_like "$FX_OUT" '^tls[a-z0-9 ]*: .*TLS ?1\.[23]' "$desc: tls line"
	fx_like "$FX_OUT" '^capabilities: ' "$desc: capabilities line"
	fx_like "$FX_OUT" '^auth: .*PLAIN' "$desc: auth line"
}

# expect_fail DESC RC WHY URL [args...]: exit RC, one line on stderr,
# "quail: <what>: <why>" with why matching the ERE WHY
expect_fail() {
	local desc=$1 rc=$2 why=$3
	shift 3
	si "$@"
	fx_is "$FX_RC" "$rc" "$desc: exit $rc"
	fx_like "$FX_ERR" "^quail: .*: .*$why" "$desc: says ${why:+"'$why'"}${why:-why}"
	fx_is "$(printf '%s\n' "$FX_ERR" | grep -c .)" 1 "$desc: one line on stderr"
}

# no_secrets LOG DESC: the fake server's log shows no login attempt and no
# password, in clear or base64
no_secrets() {
	fx_unlike "$1" '^C: (.* )?(LOGIN|AUTHENTICATE|AUTH|USER|PASS|APOP)( |$)' \
		"$2: no login command reached the server"
	fx_no_password "$2: the password did not reach the server" "$(printf '%s\n' "$1" | grep '^C: ')"
}

login=(--login --user alice --password-command "echo $FX_PASSWORD")

# --- TLS that works ---------------------------------------------------------
expect_ok "IMAP implicit TLS" "imaps://127.0.0.1:$FX_IMAPS_PORT"
expect_ok "IMAP STARTTLS" "imap://127.0.0.1:$FX_IMAP_PORT"
expect_ok "IMAP implicit TLS by name localhost" "imaps://localhost:$FX_IMAPS_PORT"
expect_ok "POP3 implicit TLS" "pop3s://127.0.0.1:$FX_POP3S_PORT"
expect_ok "POP3 STLS" "pop3://127.0.0.1:$FX_POP3_PORT"
if fx_have_postfix; then
	expect_ok "SMTP implicit TLS" "smtps://127.0.0.1:$FX_SMTPS_PORT"
	expect_ok "SMTP STARTTLS" "smtp://127.0.0.1:$FX_SUBMISSION_PORT"
	expect_ok "SMTP STARTTLS by name localhost" "smtp://localhost:$FX_SUBMISSION_PORT"
else
	fx_skip "SMTP implicit TLS and STARTTLS" "Postfix needs root"
fi

# --- a CA file that does not hold the server's CA ---------------------------
unknown='certificate issuer is unknown'
urls=("imaps://127.0.0.1:$FX_IMAPS_PORT" "imap://127.0.0.1:$FX_IMAP_PORT"
	"pop3s://127.0.0.1:$FX_POP3S_PORT" "pop3://127.0.0.1:$FX_POP3_PORT")
fx_have_postfix && urls+=("smtps://127.0.0.1:$FX_SMTPS_PORT"
	"smtp://127.0.0.1:$FX_SUBMISSION_PORT")
for url in "${urls[@]}"; do
	CA=$FX_OTHER_CA expect_fail "${url%%://*}, CA file without the server's CA" 69 "$unknown" \
		"$url" --timeout 10
done

# --- servers with bad certificates ------------------------------------------
for scheme in imaps pop3s smtps; do
	expect_fail "$scheme expired certificate" 69 'certificate has expired' \
		"$scheme://127.0.0.1:$FX_EXPIRED_PORT" --timeout 10
	expect_fail "$scheme certificate for another host" 69 \
		'certificate does not match host name' \
		"$scheme://127.0.0.1:$FX_WRONGHOST_PORT" --timeout 10
	expect_fail "$scheme certificate from an unknown CA" 69 "$unknown" \
		"$scheme://127.0.0.1:$FX_UNKNOWNCA_PORT" --timeout 10
done
expect_fail "wrong-host certificate, by name localhost" 69 \
	'certificate does not match host name' "imaps://localhost:$FX_WRONGHOST_PORT" --timeout 10
expect_fail "expired certificate, with --login: no login" 69 'certificate has expired' \
	"imaps://127.0.0.1:$FX_EXPIRED_PORT" --timeout 10 "${login[@]}"

# --- dropped, refused and silent connections ---------------------------------
fx_fake_start close close
port=$(fx_port close)
for scheme in imap pop3 smtp; do
	expect_fail "$scheme, server closes at once" 75 'connection closed by server' \
		"$scheme://127.0.0.1:$port" --timeout 10
done
# A close during the TLS handshake is a lost connection too: safe to retry.
si "imaps://127.0.0.1:$port" --timeout 10
fx_is "$FX_RC" 75 "imaps, server closes during the handshake: exit 75"
fx_like "$FX_ERR" '^quail: .*connection closed by server' \
	"imaps, server closes during the handshake: says 'connection closed by server'"

fx_fake_start greet-imap greet-close '* OK IMAP4rev1 ready'
fx_fake_start greet-pop3 greet-close '+OK POP3 ready'
fx_fake_start greet-smtp greet-close '220 smtp.example.test ESMTP ready'
for proto in imap pop3 smtp; do
	expect_fail "$proto, server closes after its greeting" 75 'connection closed by server' \
		"$proto://127.0.0.1:$(fx_port "greet-$proto")" --timeout 10
done

refused=$(fx_free_ports 1) # nothing listens there
expect_fail "connection refused" 75 '' "imaps://127.0.0.1:$refused" --timeout 10

fx_fake_start silent silent
port=$(fx_port silent)
for url in "imap://127.0.0.1:$port" "imaps://127.0.0.1:$port" "smtp://127.0.0.1:$port"; do
	expect_fail "${url%%://*} to a silent server, --timeout 2" 75 'timed out' "$url" --timeout 2
	fx_check "${url%%://*} to a silent server: gives up within 2-6 s (${FX_MS} ms)" \
		test "$FX_MS" -ge 1500 -a "$FX_MS" -lt 6000
done

# --- plaintext servers that do not offer STARTTLS ----------------------------
for proto in imap pop3 smtp; do
	fx_fake_start "plain-$proto" nostarttls "$proto"
	si "$proto://127.0.0.1:$(fx_port "plain-$proto")" --timeout 10 "${login[@]}"
	fx_is "$FX_RC" 69 "$proto:// without STARTTLS on offer: refused, exit 69"
	fx_like "$FX_ERR" '^quail: ' "$proto:// without STARTTLS on offer: says why"
	log=$(fx_fake_log "plain-$proto")
	fx_like "$log" '^C: ' "$proto:// without STARTTLS on offer: quail did talk to the fake"
	no_secrets "$log" "$proto:// without STARTTLS on offer"
done
# Positive control for the check above: with +insecure quail may log in in
# plaintext, and the fake's log then shows it.
fx_fake_start insecure-imap nostarttls imap
si "imap+insecure://127.0.0.1:$(fx_port insecure-imap)" --timeout 10 "${login[@]}"
fx_is "$FX_RC" 77 "imap+insecure:// to the fake: login refused by the fake, exit 77"
fx_like "$(fx_fake_log insecure-imap)" '^C: [^ ]+ (LOGIN|AUTHENTICATE) ' \
	"imap+insecure:// to the fake: the fake's log shows the login (control)"

fx_done
