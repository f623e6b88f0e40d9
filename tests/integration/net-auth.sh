#!/bin/bash
# quail serverinfo --login against Dovecot (IMAP, POP3) and Postfix (SMTP,
# AUTH through Dovecot): every SASL mechanism the fixture offers works, a
# wrong password or user gives exit 77, and -v traces the dialogue with the
# credentials shown as <redacted>, never the password.
# Mechanisms: one Dovecot instance per mechanism offers only that one, and
# Postfix has one smtps port per mechanism (smtpd_sasl_mechanism_filter), so
# "login: ok (MECH)" proves each mechanism, not just quail's favourite.
# Skips (77) until $QUAIL has serverinfo; SMTP parts need root (Postfix).
. "$(dirname "$0")/lib.sh"

fx_need_quail
fx_need_cmd openssl dovecot
fx_init
fx_certs
fx_dovecot_start
for mech in $FX_ALL_MECHS; do
	fx_dovecot_start "$mech" "$mech"
done
if fx_have_postfix; then
	# shellcheck disable=SC2086
	fx_postfix_start $FX_ALL_MECHS
fi

any_mech='PLAIN|LOGIN|CRAM-MD5|SCRAM-SHA-1|SCRAM-SHA-256'
bad_password="wrong-$$-pw"

# login_ok DESC URL MECH_ERE [args...]: logs in as alice with -v
login_ok() {
	local desc=$1 url=$2 mech=$3
	shift 3
	fx_serverinfo "$url" --timeout 10 --login --user alice \
		--password-command "echo $FX_PASSWORD" -v "$@"
	fx_is "$FX_RC" 0 "$desc: exit 0"
	fx_like "$FX_OUT" "^login: ok \\(($mech)\\)\$" "$desc: login: ok ($mech)"
	fx_like "$FX_ERR" '^C: ' "$desc: -v traces client lines"
	fx_like "$FX_ERR" '^S: ' "$desc: -v traces server lines"
	fx_like "$FX_ERR" '<redacted>' "$desc: -v shows the credentials as <redacted>"
	fx_no_password "$desc: -v never shows the password" "$FX_ERR"
	fx_no_password "$desc: stdout never shows the password" "$FX_OUT"
}

# login_bad DESC URL [args...]: a wrong password; with -v among args, the
# trace must not show the wrong password either
login_bad() {
	local desc=$1 url=$2
	shift 2
	fx_serverinfo "$url" --timeout 10 --login --user alice \
		--password-command "echo $bad_password" "$@"
	fx_is "$FX_RC" 77 "$desc: exit 77"
	fx_like "$(printf '%s\n' "$FX_ERR" | tail -n 1)" '^quail: .+: .+' "$desc: says why"
	fx_unlike "$FX_OUT" '^login: ok' "$desc: no 'login: ok'"
	fx_no_password "$desc: the wrong password is not shown" "$FX_OUT$FX_ERR" "$bad_password"
}

# --- every endpoint, with whatever mechanism quail prefers ---------------------
urls=("imaps://127.0.0.1:$FX_IMAPS_PORT" "imap://127.0.0.1:$FX_IMAP_PORT"
	"pop3s://127.0.0.1:$FX_POP3S_PORT" "pop3://127.0.0.1:$FX_POP3_PORT")
if fx_have_postfix; then
	urls+=("smtps://127.0.0.1:$FX_SMTPS_PORT" "smtp://127.0.0.1:$FX_SUBMISSION_PORT")
else
	fx_skip "SMTP logins" "Postfix needs root"
fi
for url in "${urls[@]}"; do
	scheme=${url%%://*}
	login_ok "$scheme login" "$url" "$any_mech"
	login_bad "$scheme wrong password" "$url"
	fx_is "$(printf '%s\n' "$FX_ERR" | grep -c .)" 1 "$scheme wrong password: one line on stderr"
done

# --- each mechanism on its own ------------------------------------------------
for mech in $FX_ALL_MECHS; do
	MECH=${mech^^}
	urls=("imaps://127.0.0.1:$(fx_port "$mech-imaps")" "imap://127.0.0.1:$(fx_port "$mech-imap")"
		"pop3s://127.0.0.1:$(fx_port "$mech-pop3s")")
	fx_have_postfix && urls+=("smtps://127.0.0.1:$(fx_port "smtps-$mech")")
	for url in "${urls[@]}"; do
		scheme=${url%%://*}
		login_ok "$scheme $MECH only" "$url" "$MECH"
		login_bad "$scheme $MECH only, wrong password, -v" "$url" -v
	done
done

# --- other ways to fail or succeed ----------------------------------------------
fx_serverinfo "imaps://127.0.0.1:$FX_IMAPS_PORT" --timeout 10 --login --user nobody \
	--password-command "echo $FX_PASSWORD"
fx_is "$FX_RC" 77 "unknown user: exit 77"
fx_serverinfo "pop3s://127.0.0.1:$FX_POP3S_PORT" --timeout 10 --login --user bob \
	--password-command "printf '%s\\n%s\\n' $FX_PASSWORD not-the-password"
fx_is "$FX_RC" 0 "--password-command: only its first line is the password"
fx_like "$FX_OUT" '^login: ok ' "--password-command: first line, login ok"
fx_serverinfo "imaps://127.0.0.1:$FX_IMAPS_PORT" --timeout 10
fx_unlike "$FX_OUT" '^login:' "without --login: no login line"

fx_done
