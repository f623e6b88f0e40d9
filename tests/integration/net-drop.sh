#!/bin/bash
# A server that resets the connection while quail writes: SMTP during DATA
# (a 4 MB message), POP3 and IMAP right after the first command, IMAP
# during the APPEND of Save to Sent, each over plain TCP and implicit TLS.
# quail must end with exit 75 and one error line (the APPEND: exit 0, the
# message was sent, and one warning), never die of SIGPIPE (exit 141,
# SPEC §3). dropserver.py is the
# server; certificates are made at test time. Needs python3 and openssl.
. "$(dirname "$0")/lib.sh"

[ -n "${QUAIL:-}" ] && [ -x "$QUAIL" ] || fx_skip_all "QUAIL is not set"
fx_need_cmd python3 openssl
python3 -c 'import ssl' 2>/dev/null || fx_skip_all "python3 has no ssl module"
fx_init
fx_certs

# drop_start NAME PROTO [tls]: a dropserver, its port under NAME
drop_start() {
	local name=$1 proto=$2 out=$FX_DIR/drop-$1.out
	local args=("$proto")
	[ "${3:-}" = tls ] && args+=("$FX_TLS/server.pem" "$FX_TLS/server.key")
	python3 "$FX_LIB_DIR/dropserver.py" "${args[@]}" </dev/null >"$out" \
		2>>"$FX_DIR/logs/drop-$name.log" &
	echo $! >"$FX_DIR/drop-$name.pid"
	fx__track "drop-$name" "$FX_DIR/drop-$name.pid"
	fx__wait_file "$out" 10 || fx_bail "dropserver $name did not start"
	fx_set_port "$name" "$(sed -n 's/^port //p' "$out")"
}

# check DESC: exit 75 and exactly one line on stderr, "quail: ..."
check() {
	fx_is "$FX_RC" 75 "$1: exit 75 (not 141, SIGPIPE)"
	fx_is "$(printf '%s\n' "$FX_ERR" | grep -c .)" 1 "$1: one error line"
	fx_like "$FX_ERR" '^quail: ' "$1: the line is quail's"
}

head -c 3000000 /dev/urandom | base64 >"$FX_DIR/big.txt"
# send logs in only with a password: none, the server offers no AUTH.
tls=(--timeout 10 --ca-file "$FX_CA")
common=("${tls[@]}" --user alice --password-command "echo secret")

for mode in plain tls; do
	if [ $mode = tls ]; then s=smtps p=pop3s i=imaps; else
		s=smtp+insecure p=pop3+insecure i=imap+insecure; fi
	drop_start "smtp-$mode" smtp $mode
	drop_start "pop3-$mode" pop3 $mode
	drop_start "imap-$mode" imap $mode

	QUAIL_CONFIG=/dev/null fx_run -t 30 bash -c 'exec "$@" <"$0"' "$FX_DIR/big.txt" "$QUAIL" \
		send "${tls[@]}" --smtp "$s://localhost:$(fx_port "smtp-$mode")" \
		--from alice@example.test -s big bob@example.test
	check "smtp $mode: reset during DATA"
	fx_like "$FX_ERR" 'not sent' "smtp $mode: says not sent"

	QUAIL_CONFIG=/dev/null fx_run -t 30 "$QUAIL" fetch "${common[@]}" \
		--pop3 "$p://localhost:$(fx_port "pop3-$mode")" -o "$FX_DIR/mail-pop3-$mode"
	check "pop3 $mode: reset after the first command"

	QUAIL_CONFIG=/dev/null fx_run -t 30 "$QUAIL" fetch "${common[@]}" \
		--imap "$i://localhost:$(fx_port "imap-$mode")" -o "$FX_DIR/mail-imap-$mode"
	check "imap $mode: reset after the first command"

	# Save to Sent: the message goes out, then the APPEND is cut.
	drop_start "ok-$mode" smtp-ok $mode
	drop_start "append-$mode" imap-append $mode
	cat >"$FX_DIR/append-$mode.conf" <<-EOF
		[account t]
		from = alice@example.test
		smtp = $s://localhost:$(fx_port "ok-$mode")
		imap = $i://localhost:$(fx_port "append-$mode")
		sent_folder = Sent
		maildir = $FX_DIR/mail-append-$mode
	EOF
	QUAIL_CONFIG=$FX_DIR/append-$mode.conf fx_run -t 30 bash -c 'exec "$@" <"$0"' \
		"$FX_DIR/big.txt" "$QUAIL" send "${common[@]}" -s big bob@example.test
	fx_is "$FX_RC" 0 "imap $mode: reset during APPEND: exit 0 (sent; not 141)"
	fx_is "$(printf '%s\n' "$FX_ERR" | grep -c .)" 1 "imap $mode: reset during APPEND: one line"
	fx_like "$FX_ERR" 'not saved to the Sent folder' "imap $mode: reset during APPEND: says not saved"
done

fx_done
