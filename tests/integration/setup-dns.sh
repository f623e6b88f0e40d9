#!/bin/bash
# quail setup finding the servers through a real DNS server: dnsmasq on
# 127.0.0.1 answers for the test domains, and quail's resolver (glibc's
# res_nquery and getaddrinfo, as in normal use) finds it through
# /etc/resolv.conf. So that nothing outside the test is touched, the script
# runs itself again in new mount and network namespaces (unshare): there
# /etc/resolv.conf is a bind mount of a file that says nameserver
# 127.0.0.1, and port 53 and the standard mail ports are free.
#   example.test  SRV _imaps._tcp and _submissions._tcp (RFC 6186, RFC 8314)
#                 -> in.example.test and out.example.test on the fixture's
#                 ports: those are written;
#   nosrv.test    no SRV, A records imap.nosrv.test and smtp.nosrv.test:
#                 probing finds them on 993 and 465;
#   badname.test  SRV to names the servers' certificate does not carry:
#                 TLS verification fails, no file;
#   nothing.test  no records: a clear error and no file.
# Dovecot and Postfix present a certificate for all those names from the
# test's CA, so TLS is verified against the names DNS gave. Needs root
# (Postfix, and the namespaces; `unshare -r` is tried without root).
. "$(dirname "$0")/lib.sh"

fx_need_quail
"$QUAIL" setup --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no setup command"
fx_need_cmd unshare dnsmasq ip openssl dovecot python3 setsid mount
fx_need_postfix

# --- into the namespaces --------------------------------------------------------
if [ -z "${QUAIL_SETUP_DNS_NS:-}" ]; then
	export QUAIL_SETUP_DNS_NS=1
	if unshare --mount --net true 2>/dev/null; then
		exec unshare --mount --net -- "$0" "$@"
	elif unshare --map-root-user --mount --net true 2>/dev/null; then
		exec unshare --map-root-user --mount --net -- "$0" "$@"
	fi
	fx_skip_all "cannot make mount and network namespaces (unshare refused, also with -r)"
fi
ip link set dev lo up || fx_skip_all "cannot bring up lo in the new network namespace"

fx_init
fx_certs

# A leaf for the names DNS hands out (and the usual localhost ones); the
# servers present it as server.pem. The key is the one fx_certs made.
names=DNS:localhost,IP:127.0.0.1,DNS:in.example.test,DNS:out.example.test
names=$names,DNS:imap.nosrv.test,DNS:smtp.nosrv.test
(
	cd "$FX_TLS" &&
		FX_SAN=$names openssl req -new -config ca.cnf -key leaf.key \
			-subj "/O=quail tests/CN=in.example.test" -out dns.csr &&
		FX_SAN=$names openssl ca -batch -notext -config ca.cnf -cert ca.pem -keyfile ca.key \
			-extensions v3_leaf -startdate 20190101000000Z -enddate 20491231000000Z \
			-in dns.csr -out dns.pem 2>dns.log &&
		openssl verify -CAfile ca.pem dns.pem >/dev/null &&
		cp dns.pem server.pem
) || fx_bail "making the certificate for the DNS names failed (see $FX_TLS/dns.log)"

fx_dovecot_start
fx_postfix_start

# Probing connects to the standard ports; the servers listen on others.
python3 "$(dirname "$0")/setup_fwd.py" 993 "$FX_IMAPS_PORT" 465 "$FX_SMTPS_PORT" \
	>"$FX_DIR/logs/fwd.log" 2>&1 &
echo $! >"$FX_DIR/fwd.pid"
fx__track fwd "$FX_DIR/fwd.pid"
if ! fx_wait_port 127.0.0.1 993 || ! fx_wait_port 127.0.0.1 465; then
	fx_bail "the port forwarder did not start (see $FX_DIR/logs/fwd.log)"
fi

# --- dnsmasq ---------------------------------------------------------------------
# Authoritative for .test (local=), asks nobody else (no-resolv, no-hosts).
cat >"$FX_DIR/dnsmasq.conf" <<EOF
port=53
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
no-negcache
local=/test/
user=$(id -un)
group=$(id -gn)
pid-file=
log-queries
log-facility=$FX_DIR/logs/dnsmasq.log
srv-host=_imaps._tcp.example.test,in.example.test,$FX_IMAPS_PORT,0,10
srv-host=_submissions._tcp.example.test,out.example.test,$FX_SMTPS_PORT,0,10
host-record=in.example.test,127.0.0.1
host-record=out.example.test,127.0.0.1
host-record=imap.nosrv.test,127.0.0.1
host-record=smtp.nosrv.test,127.0.0.1
srv-host=_imaps._tcp.badname.test,imap.badname.test,$FX_IMAPS_PORT,0,10
srv-host=_submissions._tcp.badname.test,smtp.badname.test,$FX_SMTPS_PORT,0,10
host-record=imap.badname.test,127.0.0.1
host-record=smtp.badname.test,127.0.0.1
EOF
dnsmasq --keep-in-foreground --conf-file="$FX_DIR/dnsmasq.conf" 2>"$FX_DIR/logs/dnsmasq.err" &
echo $! >"$FX_DIR/dnsmasq.pid"
fx__track dnsmasq "$FX_DIR/dnsmasq.pid"
fx_wait_port 127.0.0.1 53 || fx_bail "dnsmasq did not start (see $FX_DIR/logs/dnsmasq.err)"

printf '%s\n' "nameserver 127.0.0.1" "options timeout:2 attempts:1" >"$FX_DIR/resolv.conf"
mount --bind "$FX_DIR/resolv.conf" /etc/resolv.conf ||
	fx_skip_all "cannot bind-mount /etc/resolv.conf in the mount namespace"
fx_check "the namespace's resolver asks dnsmasq" \
	bash -c "getent hosts imap.nosrv.test | grep -q '^127\\.0\\.0\\.1 '"

CFG=$FX_DIR/cfg

# setup NAME ADDRESS: quail setup without a terminal, servers from DNS.
setup() {
	fx_run -t 90 setsid -w "$QUAIL" setup --config "$CFG-$1/config" --ca-file "$FX_CA" \
		--timeout 10 --user alice --password-command "echo $FX_PASSWORD" --account "$1" "$2"
}

# --- SRV records found ------------------------------------------------------------
IMAPS=imaps://in.example.test:$FX_IMAPS_PORT
SMTPS=smtps://out.example.test:$FX_SMTPS_PORT
setup srv alice@example.test
fx_is "$FX_RC" 0 "SRV: exit 0"
fx_like "$FX_ERR" "^setup: srv $IMAPS\$" "SRV: _imaps._tcp found"
fx_like "$FX_ERR" "^setup: srv $SMTPS\$" "SRV: _submissions._tcp found"
fx_unlike "$FX_ERR" "^setup: probe" "SRV: nothing probed"
fx_like "$FX_ERR" "^setup: login ok $IMAPS\$" "SRV: IMAP login checked, TLS verified for the SRV target"
fx_like "$FX_ERR" "^setup: login ok $SMTPS\$" "SRV: SMTP login checked"
printf '%s\n' "[account srv]" "from = alice@example.test" "imap = $IMAPS" "smtp = $SMTPS" \
	"user = alice" "password_command = echo $FX_PASSWORD" "ca_file = $FX_CA" >"$FX_DIR/expected-srv"
fx_check "SRV: the servers from the records written" cmp "$FX_DIR/expected-srv" "$CFG-srv/config"
fx_check "SRV: dnsmasq answered the SRV query" \
	grep -q 'query\[SRV\] _imaps._tcp.example.test' "$FX_DIR/logs/dnsmasq.log"

# --- no SRV: probing ----------------------------------------------------------------
setup probe alice@nosrv.test
fx_is "$FX_RC" 0 "no SRV: exit 0"
fx_unlike "$FX_ERR" "^setup: srv" "no SRV: no record used"
fx_like "$FX_ERR" "^setup: probe imaps://imap\\.nosrv\\.test\$" "no SRV: imap.nosrv.test probed"
fx_like "$FX_ERR" "^setup: login ok imaps://imap\\.nosrv\\.test\$" "no SRV: IMAP login checked on 993"
fx_like "$FX_ERR" "^setup: login ok smtps://smtp\\.nosrv\\.test\$" "no SRV: SMTP login checked on 465"
printf '%s\n' "[account probe]" "from = alice@nosrv.test" "imap = imaps://imap.nosrv.test" \
	"smtp = smtps://smtp.nosrv.test" "user = alice" "password_command = echo $FX_PASSWORD" \
	"ca_file = $FX_CA" >"$FX_DIR/expected-probe"
fx_check "no SRV: the probed servers written" cmp "$FX_DIR/expected-probe" "$CFG-probe/config"
fx_check "no SRV: dnsmasq was asked for _imaps._tcp.nosrv.test first" \
	grep -q 'query\[SRV\] _imaps._tcp.nosrv.test' "$FX_DIR/logs/dnsmasq.log"

# --- SRV to a name the certificate does not carry ----------------------------------
# TLS is checked against the host name from the record: the servers'
# certificate does not name imap.badname.test, so the login check fails.
setup badname alice@badname.test
fx_like "$FX_ERR" "^setup: srv imaps://imap\\.badname\\.test:$FX_IMAPS_PORT\$" \
	"SRV, name not in the certificate: the record is used"
fx_is "$FX_RC" 69 "SRV, name not in the certificate: exit 69"
fx_like "$(printf '%s\n' "$FX_ERR" | tail -n 1)" 'certificate does not match host name' \
	"SRV, name not in the certificate: says so"
fx_check "SRV, name not in the certificate: no file written" test ! -e "$CFG-badname"

# --- nothing at all -------------------------------------------------------------------
setup none alice@nothing.test
fx_is "$FX_RC" 69 "nothing found: exit 69 (unavailable)"
fx_like "$(printf '%s\n' "$FX_ERR" | tail -n 1)" \
	'^quail: no IMAP or POP3 server found for nothing\.test: give --imap or --pop3 URL$' \
	"nothing found: says what to give"
fx_check "nothing found: no file written" test ! -e "$CFG-none"
fx_check "nothing found: done within the probes' time" test "$FX_MS" -lt 60000

fx_done
