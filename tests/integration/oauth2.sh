#!/bin/bash
# auth = oauth2 end to end on loopback: quail setup --oauth2 runs the device
# flow (RFC 8628) against oauth2_server.py over HTTPS (a certificate made
# for the test), stores the tokens 0600, and logs in with them to Dovecot
# (IMAP, and SMTP through Postfix, whose SASL is Dovecot's), whose oauth2
# passdb asks the same server to introspect the token (RFC 7662). Then the
# access token is refreshed before it expires (RFC 6749 §6), and a token
# the server never issued is refused with exit 77. The provider then
# misbehaves (oauth2_server.py's LOG.mode): a revoked grant (invalid_grant)
# is exit 77 with one line saying to log in again; a token endpoint that
# answers plain text, cut JSON or an HTML error page is one clear line and
# no crash; and a token that expires within one run (a slow SMTP login,
# then the copy to Sent over IMAP) is refreshed before the next
# connection. Needs root (Postfix).
. "$(dirname "$0")/lib.sh"

fx_need_quail
"$QUAIL" setup --help 2>/dev/null | grep -q -- --oauth2 || fx_skip_all "$QUAIL has no setup --oauth2"
fx_need_cmd openssl dovecot doveadm python3 setsid
fx_need_postfix
fx_init
fx_certs

# --- the OAuth 2 provider ------------------------------------------------------
start_provider() { # EXPIRES_IN
	fx_stop oauth2
	rm -f "$FX_DIR/oauth2.ports"
	python3 "$(dirname "$0")/oauth2_server.py" "$FX_TLS/server.pem" "$FX_TLS/server.key" \
		"$FX_DIR/oauth2.ports" "$FX_DIR/oauth2.log" "$1" </dev/null >>"$FX_DIR/logs/oauth2.log" 2>&1 &
	echo $! >"$FX_DIR/oauth2.pid"
	fx__track oauth2 "$FX_DIR/oauth2.pid"
	local i
	for i in $(seq 100); do
		[ -s "$FX_DIR/oauth2.ports" ] && break
		sleep 0.1
	done
	[ -s "$FX_DIR/oauth2.ports" ] || fx_bail "oauth2_server.py did not start"
	HTTPS_PORT=$(sed -n 1p "$FX_DIR/oauth2.ports")
	HTTP_PORT=$(sed -n 2p "$FX_DIR/oauth2.ports")
	: >"$FX_DIR/oauth2.log"
}
# Tokens live 60 s: less than quail's two-minute margin, so the next use
# refreshes.
start_provider 60

# --- Dovecot with an oauth2 passdb, Postfix using its SASL ---------------------
fx_dovecot_start main "plain xoauth2 oauthbearer"
dc=$FX_DIR/dovecot-main/dovecot.conf
cat >"$FX_DIR/dovecot-main/oauth2.conf.ext" <<EOF
introspection_mode = post
introspection_url = http://127.0.0.1:$HTTP_PORT/introspect
username_attribute = username
active_attribute = active
active_value = true
force_introspection = yes
EOF
python3 - "$dc" "$FX_DIR/dovecot-main/oauth2.conf.ext" <<'EOF'
import sys
conf, ext = sys.argv[1], sys.argv[2]
s = open(conf).read()
block = ("passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
         "  args = %s\n}\n" % ext)
i = s.index("passdb {")
open(conf, "w").write(s[:i] + block + s[i:])
EOF
doveadm -c "$dc" reload >/dev/null 2>&1 || fx_bail "dovecot reload failed"
sleep 1
fx_postfix_start

IMAPS=imaps://127.0.0.1:$FX_IMAPS_PORT
SMTPS=smtps://127.0.0.1:$FX_SMTPS_PORT
CFG=$FX_DIR/config
export XDG_STATE_HOME=$FX_DIR/state
TOKENS=$XDG_STATE_HOME/quail/oauth2/example

# --- quail setup --oauth2 ---------------------------------------------------------
fx_run -t 90 setsid -w "$QUAIL" setup alice@example.test --oauth2 --oauth2-client-id quail-test \
	--oauth2-device-url "https://127.0.0.1:$HTTPS_PORT/device" \
	--oauth2-token-url "https://127.0.0.1:$HTTPS_PORT/token" \
	--imap "$IMAPS" --smtp "$SMTPS" --user alice --ca-file "$FX_CA" --config "$CFG" \
	--timeout 10 --yes
fx_is "$FX_RC" 0 "setup --oauth2: exit 0"
fx_like "$FX_ERR" '^To log in, open https://127\.0\.0\.1/device and enter the code WDJB-MJHT$' \
	"setup --oauth2: shows where to go and the code"
fx_like "$FX_ERR" "^setup: login ok $IMAPS\$" "setup --oauth2: IMAP login with the token"
fx_like "$FX_ERR" "^setup: login ok $SMTPS\$" "setup --oauth2: SMTP login with the token"
fx_is "$(grep -c '^/device client_id=quail-test scope=' "$FX_DIR/oauth2.log")" 0 \
	"device request: no scope for an endpoint quail does not know"
fx_like "$(cat "$FX_DIR/oauth2.log")" '^/device client_id=quail-test$' "device request with the client id"
fx_is "$(grep -c '^/token client_id=quail-test device_code=dev-1 grant_type=urn:ietf:params:oauth:grant-type:device_code$' "$FX_DIR/oauth2.log")" 2 \
	"the token endpoint polled until the login was done (pending once)"
fx_is "$(stat -c %a "$TOKENS" 2>&1)" 600 "the tokens are stored 0600"
fx_like "$(cat "$TOKENS" 2>&1)" '"refresh_token": "rt-1"' "the refresh token is stored"
printf '%s\n' "[account example]" "from = alice@example.test" "imap = $IMAPS" "smtp = $SMTPS" \
	"user = alice" "ca_file = $FX_CA" "auth = oauth2" "oauth2_client_id = quail-test" \
	"oauth2_device_url = https://127.0.0.1:$HTTPS_PORT/device" \
	"oauth2_token_url = https://127.0.0.1:$HTTPS_PORT/token" >"$FX_DIR/expected"
fx_check "the account written" cmp "$FX_DIR/expected" "$CFG"
fx_like "$(cat "$FX_DIR/oauth2.log")" '^/introspect token=at-[0-9]+$' \
	"Dovecot checked the token with its oauth2 passdb (introspection)"
# at-1 lives 60 s, less than the two-minute margin: the SMTP check (or
# the IMAP one) refreshed it.
fx_like "$(cat "$FX_DIR/oauth2.log")" '^/token client_id=quail-test grant_type=refresh_token refresh_token=rt-1$' \
	"a token about to expire is refreshed before use"

# --- refresh before expiry ---------------------------------------------------------
# The stored token has 30 s left.
printf '{"access_token": "at-2", "expires_at": %d, "refresh_token": "rt-1"}\n' \
	$(($(date +%s) + 30)) >"$TOKENS"
: >"$FX_DIR/oauth2.log"
fx_run -t 60 "$QUAIL" serverinfo --config "$CFG" --protocol imap --login
fx_is "$FX_RC" 0 "a login after the token's expiry nears: exit 0"
fx_like "$FX_OUT" '^login: ok \((OAUTHBEARER|XOAUTH2)\)$' "logged in with OAUTHBEARER or XOAUTH2"
fx_like "$(cat "$FX_DIR/oauth2.log")" '^/token client_id=quail-test grant_type=refresh_token refresh_token=rt-1$' \
	"the token was refreshed first"
fx_like "$(cat "$FX_DIR/oauth2.log")" '^/introspect token=at-3$' "the new token is the one sent"
fx_like "$(cat "$TOKENS")" '"access_token": "at-3"' "the new access token is stored"
fx_like "$(cat "$TOKENS")" '"refresh_token": "rt-1"' "the refresh token is kept when none comes back"
: >"$FX_DIR/oauth2.log"
fx_run -t 60 "$QUAIL" serverinfo --config "$CFG" --protocol smtp --login
fx_is "$FX_RC" 0 "SMTP login with the refreshed token: exit 0"
fx_is "$(grep -c '^/token' "$FX_DIR/oauth2.log")" 0 "a fresh token is used without asking again"

# --- oauth2_token_command hands the token over ------------------------------------
printf '%s\n' "[account cmd]" "from = alice@example.test" "imap = $IMAPS" "user = alice" \
	"ca_file = $FX_CA" "auth = oauth2" "oauth2_token_command = echo at-3" >"$FX_DIR/config-cmd"
fx_run -t 60 "$QUAIL" serverinfo --config "$FX_DIR/config-cmd" --protocol imap --login
fx_is "$FX_RC" 0 "oauth2_token_command: the token it prints logs in"
sed -i 's/echo at-3/echo not-issued/' "$FX_DIR/config-cmd"
fx_run -t 60 "$QUAIL" serverinfo --config "$FX_DIR/config-cmd" --protocol imap --login
fx_is "$FX_RC" 77 "oauth2_token_command: a token not issued: exit 77"

# --- a token the server never issued ------------------------------------------------
printf '{"access_token": "forged", "expires_at": %d}\n' $(($(date +%s) + 3600)) >"$TOKENS"
fx_run -t 60 "$QUAIL" serverinfo --config "$CFG" --protocol imap --login
fx_is "$FX_RC" 77 "a token the server does not know: exit 77"
rm -f "$TOKENS"
fx_run -t 60 "$QUAIL" serverinfo --config "$CFG" --protocol imap --login
fx_is "$FX_RC" 77 "no token stored: exit 77"
fx_like "$FX_ERR" "quail setup --oauth2" "no token stored: says what to run"

# --- the provider misbehaves -----------------------------------------------------------
MODE=$FX_DIR/oauth2.log.mode
# near_expiry: a stored token quail will want to refresh before use.
near_expiry() {
	printf '{"access_token": "at-old", "expires_at": %d, "refresh_token": "rt-1"}\n' \
		$(($(date +%s) + 30)) >"$TOKENS"
}
# Revoked: the refresh is refused and the server forgets the old token.
near_expiry
echo '{"refresh": "revoked"}' >"$MODE"
: >"$FX_DIR/oauth2.log"
fx_run -t 60 "$QUAIL" serverinfo --config "$CFG" --protocol imap --login
fx_is "$FX_RC" 77 "revoked grant: exit 77"
fx_is "$(printf '%s\n' "$FX_ERR" | wc -l)" 1 "revoked grant: one line"
fx_like "$FX_ERR" "^quail: $IMAPS: https://127\.0\.0\.1:$HTTPS_PORT/token: the refresh token was refused \(invalid_grant: revoked or expired\): run 'quail setup --oauth2' again\$" \
	"revoked grant: says so and what to run"
fx_like "$(cat "$FX_DIR/oauth2.log")" '^/token client_id=quail-test grant_type=refresh_token refresh_token=rt-1$' \
	"revoked grant: the refresh was tried"
fx_is "$(grep -c '^/introspect' "$FX_DIR/oauth2.log")" 0 "revoked grant: no login tried with a token"
fx_like "$(cat "$TOKENS")" '"access_token": "at-old"' "revoked grant: the stored tokens left as they were"

# Garbage from the token endpoint: MODE STATUS MESSAGE-ERE
garbage() {
	near_expiry
	printf '{"refresh": "%s"}\n' "$1" >"$MODE"
	fx_run -t 60 "$QUAIL" serverinfo --config "$CFG" --protocol imap --login
	fx_is "$FX_RC" "$2" "token endpoint answers $1: exit $2"
	fx_is "$(printf '%s\n' "$FX_ERR" | wc -l)" 1 "token endpoint answers $1: one line"
	fx_like "$FX_ERR" "$3" "token endpoint answers $1: says what went wrong"
	fx_unlike "$FX_ERR" $'\x1b' "token endpoint answers $1: no raw control bytes"
	fx_like "$(cat "$TOKENS")" '"access_token": "at-old"' "token endpoint answers $1: tokens kept"
}
garbage text 69 "^quail: $IMAPS: https://127\.0\.0\.1:$HTTPS_PORT/token: the token endpoint did not answer with JSON\$"
garbage truncated 69 "^quail: $IMAPS: https://127\.0\.0\.1:$HTTPS_PORT/token: the token endpoint did not answer with JSON\$"
garbage html 75 "^quail: $IMAPS: https://127\.0\.0\.1:$HTTPS_PORT/token: HTTP 502: the token endpoint did not answer with JSON\$"

# Expiry within one run: quail send logs in to SMTP with the stored token,
# which the provider accepts for 4 more seconds and whose check takes 6;
# quail counts it as fresh for 4 s more (the two-minute margin + 4), so the
# IMAP connection that saves to Sent must come with a refreshed token.
cp "$CFG" "$FX_DIR/config-sent"
echo "sent_folder = INBOX" >>"$FX_DIR/config-sent"
now=$(date +%s)
printf '{"access_token": "at-slow", "expires_at": %d, "refresh_token": "rt-1"}\n' \
	$((now + 124)) >"$TOKENS"
printf '{"accept": {"at-slow": %d}, "slow": {"at-slow": 6}}\n' $((now + 4)) >"$MODE"
: >"$FX_DIR/oauth2.log"
printf 'hello\n' >"$FX_DIR/body.txt"
fx_run -t 90 bash -c 'exec "$0" send --config "$1" -s "expiring token" alice@example.test <"$2"' \
	"$QUAIL" "$FX_DIR/config-sent" "$FX_DIR/body.txt"
fx_is "$FX_RC" 0 "token expiring mid-run: the send succeeds"
fx_is "$FX_ERR" "" "token expiring mid-run: no warning (saved to Sent)"
fx_is "$(grep -E '^/(token|introspect)' "$FX_DIR/oauth2.log" | sed -E 's/ client_id=[^ ]*//; s/at-[0-9]+/at-N/')" \
	"/introspect token=at-slow
/token grant_type=refresh_token refresh_token=rt-1
/introspect token=at-N" "token expiring mid-run: SMTP with the old token, IMAP with a refreshed one"
rm -f "$MODE"

fx_done
