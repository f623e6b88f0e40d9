# shellcheck shell=bash
# shellcheck disable=SC2034 # FX_* variables are for the test scripts
# Integration-test fixture: real mail servers on 127.0.0.1 for one test script.
#
# Source this file from a bash test script, then call fx_init. Everything the
# fixture makes (certificates, configs, sockets, queues, mail, logs) lives in
# one private directory from mktemp -d, removed at exit (FX_KEEP=1 keeps it).
# Ports are picked at run time, so several scripts can run at once. Nothing is
# read from /etc/dovecot or /etc/postfix (Postfix's package metadata,
# $meta_directory, is still read by postfix-script to create the queue).
# Every server start waits with a deadline; fx_run wraps clients in timeout;
# an EXIT trap stops every server that was started, by pid, even when the
# test fails or is killed.
#
# Output is TAP: fx_pass/fx_fail/fx_is/fx_like/... print "ok N - desc" or
# "not ok N - desc", fx_done prints the plan and exits 0 (all passed) or 1.
# fx_skip_all exits 77, which meson reports as SKIP.
#
# Servers:
#   fx_certs                  CA, server, expired, wrong-host, unknown-CA certs
#   fx_dovecot_start [NAME [MECHS]]   IMAP(+STARTTLS) IMAPS POP3(+STLS) POP3S,
#                             LMTP and an auth socket; users alice and bob,
#                             password "secret"
#   fx_postfix_start [MECH...]        submission (STARTTLS required) and smtps,
#                             AUTH via Dovecot, @example.test -> LMTP -> Maildir;
#                             one extra smtps port per MECH offering only MECH
#   fx_badtls_start           implicit-TLS servers with the bad certificates
#   fx_fake_start NAME SCENARIO [ARG]  tests/integration/fakeserver
# Ports: fx_port KEY (keys are listed by each start function).

FX_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FX_NTEST=0
FX_NFAIL=0
FX_NRUN=0
FX_USERS="alice bob"
FX_PASSWORD=secret
FX_DOMAIN=example.test
FX_ALL_MECHS="plain login cram-md5 scram-sha-1 scram-sha-256"
FX_START_DEADLINE=${FX_START_DEADLINE:-15}

# --- TAP --------------------------------------------------------------------

fx_diag() { # text...: a TAP comment line per line of text
	printf '%s\n' "$*" | sed 's/^/# /'
}

fx_pass() { # desc
	FX_NTEST=$((FX_NTEST + 1))
	echo "ok $FX_NTEST - $1"
}

fx_fail() { # desc [diagnostic...]
	FX_NTEST=$((FX_NTEST + 1))
	FX_NFAIL=$((FX_NFAIL + 1))
	echo "not ok $FX_NTEST - $1"
	shift
	[ $# -gt 0 ] && fx_diag "$@"
	return 0
}

fx_skip() { # desc reason
	FX_NTEST=$((FX_NTEST + 1))
	echo "ok $FX_NTEST - $1 # SKIP $2"
}

fx_check() { # desc command...: ok when the command succeeds
	local desc=$1
	shift
	if "$@"; then fx_pass "$desc"; else fx_fail "$desc" "failed: $*"; fi
}

fx_is() { # got want desc
	if [ "$1" = "$2" ]; then
		fx_pass "$3"
	else
		fx_fail "$3" "got:  '$1'" "want: '$2'" "$(fx__last_run)"
	fi
}

fx_like() { # text ERE desc: some line of text matches
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fx_pass "$3"
	else
		fx_fail "$3" "no line matches /$2/ in:" "$1" "$(fx__last_run)"
	fi
}

fx_unlike() { # text ERE desc: no line of text matches
	local hit
	if hit=$(printf '%s\n' "$1" | grep -E -m3 -- "$2"); then
		fx_fail "$3" "unexpected match for /$2/:" "$hit"
	else
		fx_pass "$3"
	fi
}

fx_done() { # print the plan and exit 0 if everything passed, else 1
	echo "1..$FX_NTEST"
	if [ "$FX_NFAIL" -gt 0 ]; then
		fx_diag "failed $FX_NFAIL of $FX_NTEST"
		exit 1
	fi
	exit 0
}

fx_skip_all() { # reason: skip the (rest of the) script: exit 77
	if [ "$FX_NTEST" -eq 0 ]; then
		echo "1..0 # SKIP $*"
		exit 77
	fi
	fx_diag "skipping the rest: $*"
	echo "1..$FX_NTEST"
	[ "$FX_NFAIL" -gt 0 ] && exit 1
	exit 77
}

fx_bail() { # reason: the fixture itself broke
	echo "Bail out! $*"
	exit 1
}

fx_need_cmd() { # command...: skip the script unless all are installed
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || fx_skip_all "$c not installed"
	done
}

fx_have_postfix() { # Postfix runs only as root (its master binds and drops privileges)
	[ "$(id -u)" = 0 ] && command -v postfix >/dev/null 2>&1 && [ -x /usr/lib/postfix/sbin/master ]
}

fx_need_postfix() {
	command -v postfix >/dev/null 2>&1 && [ -x /usr/lib/postfix/sbin/master ] ||
		fx_skip_all "postfix not installed"
	[ "$(id -u)" = 0 ] || fx_skip_all "Postfix needs root"
}

fx_need_quail() { # skip unless $QUAIL has the serverinfo command
	[ -n "${QUAIL:-}" ] || fx_skip_all "QUAIL is not set"
	[ -x "$QUAIL" ] || fx_skip_all "$QUAIL is not executable"
	timeout 10 "$QUAIL" serverinfo --help >/dev/null 2>&1 ||
		fx_skip_all "$QUAIL has no serverinfo command"
}

# --- running clients ----------------------------------------------------------

# fx_serverinfo URL [args...]: fx_run "$QUAIL serverinfo" with --imap, --pop3
# or --smtp chosen by the URL's scheme, trusting $CA (default FX_CA).
fx_serverinfo() {
	local url=$1 opt
	shift
	case $url in
	imap*) opt=--imap ;;
	pop3*) opt=--pop3 ;;
	smtp*) opt=--smtp ;;
	esac
	fx_run -t 40 "$QUAIL" serverinfo "$opt" "$url" --ca-file "${CA:-$FX_CA}" "$@"
}

# fx_no_password DESC TEXT [PASSWORD]: ok unless TEXT holds the password
# (default FX_PASSWORD) in clear or inside any base64 token.
fx_no_password() {
	local pw=${3:-$FX_PASSWORD} hit=
	if printf '%s\n' "$2" | grep -qF -- "$pw"; then
		hit="in clear"
	# Decode every base64-looking token at once: cut to whole 4-character
	# groups, each token decodes on its own even when concatenated.
	elif printf '%s\n' "$2" | grep -oE '[A-Za-z0-9+/]{6,}={0,2}' |
		awk '{ n = length($0) - length($0) % 4; if (n) print substr($0, 1, n) }' |
		base64 -d 2>/dev/null | grep -aqF -- "$pw"; then
		hit="in base64"
	fi
	if [ -n "$hit" ]; then
		fx_fail "$1" "the password appears $hit in:" "$2"
	else
		fx_pass "$1"
	fi
}

# fx_run [-t SECONDS] command...: run with stdin from /dev/null under timeout
# (default 30 s; a shell function is run as is, it bounds itself). Sets
# FX_RC, FX_OUT, FX_ERR and FX_MS (elapsed milliseconds).
fx_run() {
	local t=${FX_RUN_TIMEOUT:-30} base t0 t1
	if [ "$1" = -t ]; then
		t=$2
		shift 2
	fi
	FX_NRUN=$((FX_NRUN + 1))
	base=$FX_DIR/runs/$FX_NRUN
	printf '%q ' "$@" >"$base.cmd"
	t0=${EPOCHREALTIME//[.,]/}
	if declare -F "$1" >/dev/null; then
		"$@" >"$base.out" 2>"$base.err" </dev/null
	else
		timeout -k 3 "$t" "$@" >"$base.out" 2>"$base.err" </dev/null
	fi
	FX_RC=$?
	t1=${EPOCHREALTIME//[.,]/}
	FX_MS=$(((t1 - t0) / 1000))
	FX_OUT=$(cat "$base.out")
	FX_ERR=$(cat "$base.err")
	return 0
}

fx__last_run() {
	[ "$FX_NRUN" -gt 0 ] || return 0
	local base=$FX_DIR/runs/$FX_NRUN
	echo "last run: $(cat "$base.cmd")"
	echo "exit $FX_RC after ${FX_MS} ms; stdout:"
	sed 's/^/  /' "$base.out" | head -40
	echo "stderr:"
	sed 's/^/  /' "$base.err" | head -40
}

# --- setup and teardown -------------------------------------------------------

fx_init() { # make the private directory and install the traps
	umask 022
	FX_DIR=$(mktemp -d "${FX_TMPDIR:-/tmp}/quail-it.XXXXXX") || fx_bail "mktemp failed"
	# Dovecot's and Postfix's unprivileged processes must reach their files.
	chmod 755 "$FX_DIR"
	mkdir "$FX_DIR/runs" "$FX_DIR/ports" "$FX_DIR/logs"
	# quail's state (the outbox) stays in the fixture, never in $HOME.
	export XDG_STATE_HOME=$FX_DIR/state
	: >"$FX_DIR/pidfiles"
	trap fx__on_exit EXIT
	trap 'FX_SIGNALLED=1; exit 129' HUP
	trap 'FX_SIGNALLED=1; exit 130' INT
	trap 'FX_SIGNALLED=1; exit 143' TERM
	fx__find_fakeserver
	fx_diag "fixture directory $FX_DIR"
}

fx__on_exit() {
	local rc=$? f pids
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		for f in "$FX_DIR"/logs/*.log; do
			[ -s "$f" ] || continue
			echo "# --- last lines of $(basename "$f")" >&2
			tail -n 15 "$f" | cut -c1-200 | sed 's/^/# /' >&2
		done
	fi
	if [ -n "${FX_SIGNALLED:-}" ] && [ -z "${FX_KEEP:-}" ]; then
		# Killed (meson's timeout: SIGTERM, then SIGKILL 0.5 s later): TERM
		# every server now and leave the waiting and the removal of the
		# directory to a process outside our process group.
		pids=$(fx__pids_of '*')
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill -TERM $pids 2>/dev/null
		setsid bash -c 'for ((i = 0; i < 100; i++)); do
				kill -0 "${@:2}" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "${@:2}" 2>/dev/null
			rm -rf "$1"' _ "$FX_DIR" $pids </dev/null >/dev/null 2>&1 &
		exit "$rc"
	fi
	fx_stop_all
	if [ -n "${FX_KEEP:-}" ]; then
		echo "# FX_KEEP: kept $FX_DIR" >&2
	else
		rm -rf "$FX_DIR"
	fi
	exit "$rc"
}

fx__find_fakeserver() {
	[ -n "${FAKESERVER:-}" ] && [ -x "$FAKESERVER" ] && return 0
	# Run by hand, outside meson: build it here.
	local cc=${CC:-cc}
	command -v "$cc" >/dev/null 2>&1 || fx_bail "FAKESERVER unset and no C compiler"
	"$cc" -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O -o "$FX_DIR/fakeserver" \
		"$FX_LIB_DIR/fakeserver.c" || fx_bail "cannot build fakeserver"
	FAKESERVER=$FX_DIR/fakeserver
}

# fx__track NAME PIDFILE: stop this process at exit (fx_stop_all).
fx__track() {
	echo "$1 $2" >>"$FX_DIR/pidfiles"
}

fx__alive() { # pid: running, and not a zombie waiting for us to reap it
	local st
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ "$st" != Z ]
}

fx__stop_pids() { # pid...: TERM them all, wait up to 10 s, KILL what is left
	local pid i left
	for pid in "$@"; do
		fx__alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for ((i = 0; i < 100; i++)); do
		left=
		for pid in "$@"; do
			fx__alive "$pid" && left="$left $pid"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	for pid in $left; do
		echo "# pid $pid ignored TERM, sending KILL" >&2
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in "$@"; do
		{ wait "$pid"; } 2>/dev/null # reap our own children
	done
	return 0
}

fx__pids_of() { # name-pattern: pids of the tracked processes whose name matches
	local name pidfile
	while read -r name pidfile; do
		# shellcheck disable=SC2053
		[[ $name == $1 ]] && tr -dc '0-9\n' <"$pidfile" 2>/dev/null | head -1
	done <"$FX_DIR/pidfiles"
}

# fx_stop_all: stop everything started. TERM goes to all at once: meson
# follows its SIGTERM to a test with SIGKILL 0.5 s later, so there is no time
# to stop the servers one after the other.
fx_stop_all() {
	[ -f "$FX_DIR/pidfiles" ] || return 0
	# shellcheck disable=SC2046
	fx__stop_pids $(fx__pids_of '*')
	: >"$FX_DIR/pidfiles"
}

fx_stop() { # name: stop (and forget) the processes tracked as name
	local rest
	# shellcheck disable=SC2046
	fx__stop_pids $(fx__pids_of "$1")
	rest=$(grep -v "^$1 " "$FX_DIR/pidfiles")
	printf '%s\n' "$rest" | grep . >"$FX_DIR/pidfiles"
	return 0
}

# --- ports --------------------------------------------------------------------

fx_free_ports() { # N: print N loopback ports that were free a moment ago
	"$FAKESERVER" ports "$1"
}

fx_set_port() { echo "$2" >"$FX_DIR/ports/$1"; }

fx_port() { # key: the port a start function chose
	cat "$FX_DIR/ports/$1" 2>/dev/null || fx_bail "no port named $1"
}

fx_wait_port() { # host port [seconds]: wait until something accepts there
	local deadline=$((SECONDS + ${3:-$FX_START_DEADLINE}))
	while ((SECONDS < deadline)); do
		if timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

fx__wait_file() { # file seconds: wait until it exists and is not empty
	local deadline=$((SECONDS + $2))
	while ((SECONDS < deadline)); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# --- certificates -------------------------------------------------------------

# fx_certs: under $FX_DIR/tls (FX_TLS):
#   ca.pem            the CA that clients are told about (FX_CA)
#   other-ca.pem      a second CA the client does not know (FX_OTHER_CA)
#   server.pem/.key   SAN DNS:localhost, IP:127.0.0.1, IP:::1, signed by ca
#   expired.pem       same names, signed by ca, valid 2020-01-01..2020-12-31
#   wronghost.pem     SAN DNS:wrong.example, IP:10.9.9.9 only, signed by ca
#   unknownca.pem     localhost names, signed by other-ca (chain: leaf + other-ca)
# The leaf certificates share leaf.key. openssl ca sets past dates, which
# openssl x509 (3.0) cannot.
fx_certs() {
	FX_TLS=$FX_DIR/tls
	FX_CA=$FX_TLS/ca.pem
	FX_OTHER_CA=$FX_TLS/other-ca.pem
	[ -s "$FX_TLS/server.pem" ] && return 0
	mkdir -p "$FX_TLS"
	(
		set -e
		cd "$FX_TLS"
		export FX_SAN=DNS:unused
		key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
		# conf CA: an openssl ca configuration whose database is CA.db/
		conf() {
			mkdir "$1.db"
			: >"$1.db/index.txt"
			echo 1000 >"$1.db/serial"
			cat >"$1.cnf" <<-EOF
				[ca]
				default_ca = ca_default
				[ca_default]
				database = $FX_TLS/$1.db/index.txt
				new_certs_dir = $FX_TLS/$1.db
				serial = $FX_TLS/$1.db/serial
				default_md = sha256
				policy = policy_any
				unique_subject = no
				[policy_any]
				organizationName = optional
				commonName = supplied
				[req]
				distinguished_name = req_dn
				prompt = no
				[req_dn]
				CN = unused
				[v3_ca]
				basicConstraints = critical,CA:TRUE
				keyUsage = critical,keyCertSign,cRLSign
				subjectKeyIdentifier = hash
				[v3_leaf]
				basicConstraints = critical,CA:FALSE
				keyUsage = critical,digitalSignature,keyEncipherment
				extendedKeyUsage = serverAuth
				subjectKeyIdentifier = hash
				authorityKeyIdentifier = keyid
				subjectAltName = \$ENV::FX_SAN
			EOF
		}
		# mkca NAME CN: a self-signed CA valid 2019..2049
		mkca() {
			key "$1.key"
			conf "$1"
			openssl req -new -config "$1.cnf" -key "$1.key" -subj "/O=quail tests/CN=$2" \
				-out "$1.csr"
			openssl ca -batch -notext -config "$1.cnf" -selfsign -keyfile "$1.key" \
				-extensions v3_ca -startdate 20190101000000Z -enddate 20491231000000Z \
				-in "$1.csr" -out "$1.pem" 2>"$1.log"
		}
		# leaf NAME CA CN SAN START END: a server certificate for leaf.key
		leaf() {
			openssl req -new -config "$2.cnf" -key leaf.key -subj "/O=quail tests/CN=$3" \
				-out "$1.csr"
			FX_SAN=$4 openssl ca -batch -notext -config "$2.cnf" -cert "$2.pem" \
				-keyfile "$2.key" -extensions v3_leaf -startdate "$5" -enddate "$6" \
				-in "$1.csr" -out "$1.pem" 2>"$1.log"
		}
		key leaf.key
		mkca ca "quail test CA"
		mkca other-ca "unknown test CA"
		names=DNS:localhost,IP:127.0.0.1,IP:::1
		leaf server ca localhost "$names" 20190101000000Z 20491231000000Z
		leaf expired ca localhost "$names" 20200101000000Z 20201231000000Z
		leaf wronghost ca wrong.example DNS:wrong.example,IP:10.9.9.9 \
			20190101000000Z 20491231000000Z
		leaf unknownca other-ca localhost "$names" 20190101000000Z 20491231000000Z
		cat other-ca.pem >>unknownca.pem
		cp leaf.key server.key
		chmod 644 ./*.pem
		chmod 600 ./*.key
	) || fx_bail "making certificates failed (see $FX_TLS/*.log)"
	openssl verify -CAfile "$FX_CA" "$FX_TLS/server.pem" >/dev/null ||
		fx_bail "server certificate does not verify"
}

# --- Dovecot ------------------------------------------------------------------

fx__mail_ids() { # the uid/gid owning mail: Dovecot refuses uid 0
	if [ "$(id -u)" = 0 ]; then
		FX_MAIL_UID=$(id -u nobody)
		FX_MAIL_GID=$(getent group nogroup | cut -d: -f3)
	else
		FX_MAIL_UID=$(id -u)
		FX_MAIL_GID=$(id -g)
	fi
}

fx_maildir() { # user [instance]: the user's Maildir
	echo "$FX_DIR/dovecot-${2:-main}/home/$1/Maildir"
}

# fx_dovecot_start [NAME [MECHS]]: start a Dovecot instance (default "main",
# all of $FX_ALL_MECHS) with users alice and bob (password secret, stored
# {PLAIN} so that CRAM-MD5 and SCRAM work) and Maildir homes.
# Port keys: NAME-imap (STARTTLS) NAME-imaps NAME-pop3 (STLS) NAME-pop3s; for
# "main" also FX_IMAP_PORT, FX_IMAPS_PORT, FX_POP3_PORT, FX_POP3S_PORT.
# Sockets: $FX_DIR/dovecot-NAME/run/{lmtp,auth-postfix}.
# FX_MAIL_LOCATION replaces mail_location (e.g. LAYOUT=fs for folder names
# that Maildir++ refuses); FX_SEPARATOR replaces the namespace's hierarchy
# separator (default /; e.g. . as many servers have).
# Note: Dovecot counts a connection whose remote IP equals the local IP as
# secured, so on 127.0.0.1 it allows plaintext login before STARTTLS.
fx_dovecot_start() {
	local name=${1:-main} mechs=${2:-$FX_ALL_MECHS} try rc
	command -v dovecot >/dev/null 2>&1 || fx_skip_all "dovecot not installed"
	[ -n "${FX_CA:-}" ] || fx_certs
	for try in 1 2 3; do
		fx__dovecot_try "$name" "$mechs"
		rc=$?
		[ "$rc" = 0 ] && break
		[ "$rc" = 2 ] || fx_bail "dovecot $name did not start (see $FX_DIR/logs/dovecot-$name.log)"
		fx_diag "dovecot $name: a port was taken, retrying with other ports"
	done
	[ "$rc" = 0 ] || fx_bail "dovecot $name: no free ports after 3 tries"
	if [ "$name" = main ]; then
		FX_IMAP_PORT=$(fx_port main-imap)
		FX_IMAPS_PORT=$(fx_port main-imaps)
		FX_POP3_PORT=$(fx_port main-pop3)
		FX_POP3S_PORT=$(fx_port main-pop3s)
	fi
}

# returns 0 started, 1 failed, 2 a port was in use
fx__dovecot_try() {
	local name=$1 mechs=$2 dir=$FX_DIR/dovecot-$1 log=$FX_DIR/logs/dovecot-$1.log
	local ports p u iuser luser chroot_line sock dh=""
	fx__mail_ids
	mapfile -t ports < <(fx_free_ports 4)
	rm -rf "$dir"
	mkdir -p "$dir/state" "$dir/home"
	: >"$dir/passwd"
	for u in $FX_USERS; do
		mkdir -p "$dir/home/$u/Maildir"
		chown -R "$FX_MAIL_UID:$FX_MAIL_GID" "$dir/home/$u"
		echo "$u:{PLAIN}$FX_PASSWORD:$FX_MAIL_UID:$FX_MAIL_GID::$dir/home/$u::" >>"$dir/passwd"
	done
	if [ "$(id -u)" = 0 ]; then
		iuser=dovecot
		luser=dovenull
		chroot_line=
		sock="user = postfix
    group = postfix
    mode = 0660"
		id postfix >/dev/null 2>&1 || sock="mode = 0600"
	else # unprivileged: everything runs as us, and login processes cannot chroot
		iuser=$(id -un)
		luser=$iuser
		chroot_line="chroot ="
		sock="mode = 0600"
	fi
	[ -f /usr/share/dovecot/dh.pem ] && dh="ssl_dh = </usr/share/dovecot/dh.pem"
	cat >"$dir/dovecot.conf" <<-CONF
		# Generated by quail tests/integration/lib.sh; includes nothing from /etc/dovecot.
		instance_name = quail-it-$$-$name
		base_dir = $dir/run
		state_dir = $dir/state
		protocols = imap pop3 lmtp
		listen = 127.0.0.1
		log_path = $log
		default_internal_user = $iuser
		default_internal_group = $(id -gn "$iuser")
		default_login_user = $luser
		first_valid_uid = $FX_MAIL_UID
		last_valid_uid = 0
		first_valid_gid = 1

		ssl = required
		ssl_cert = <$FX_TLS/server.pem
		ssl_key = <$FX_TLS/server.key
		$dh
		ssl_min_protocol = TLSv1.2
		disable_plaintext_auth = yes
		auth_mechanisms = $mechs
		auth_username_format = %Ln
		auth_failure_delay = 0
		auth_verbose = yes

		passdb {
		  driver = passwd-file
		  args = scheme=PLAIN $dir/passwd
		}
		userdb {
		  driver = passwd-file
		  args = $dir/passwd
		}

		mail_location = ${FX_MAIL_LOCATION:-maildir:~/Maildir}
		namespace inbox {
		  inbox = yes
		  separator = ${FX_SEPARATOR:-/}
		  prefix =
		}
		mail_max_userip_connections = 50
		protocol lmtp {
		  postmaster_address = postmaster@$FX_DOMAIN
		}

		service imap-login {
		  $chroot_line
		  inet_listener imap {
		    address = 127.0.0.1
		    port = ${ports[0]}
		  }
		  inet_listener imaps {
		    address = 127.0.0.1
		    port = ${ports[1]}
		    ssl = yes
		  }
		}
		service pop3-login {
		  $chroot_line
		  inet_listener pop3 {
		    address = 127.0.0.1
		    port = ${ports[2]}
		  }
		  inet_listener pop3s {
		    address = 127.0.0.1
		    port = ${ports[3]}
		    ssl = yes
		  }
		}
		service lmtp {
		  unix_listener lmtp {
		    mode = 0666
		  }
		}
		service anvil {
		  # no growing delay after failed logins from 127.0.0.1: tests
		  # fail logins on purpose, and auth_failure_delay is 0
		  unix_listener anvil-auth-penalty {
		    mode = 0
		  }
		}
		service auth {
		  # SASL for Postfix's smtpd (smtpd_sasl_type = dovecot)
		  unix_listener auth-postfix {
		    $sock
		  }
		}
	CONF
	: >"$log"
	# The master keeps the stdio it was started with: give it none of ours,
	# or whoever reads our output waits until Dovecot stops.
	if ! timeout 20 dovecot -c "$dir/dovecot.conf" </dev/null >>"$log" 2>&1 ||
		! fx__wait_file "$dir/run/master.pid" "$FX_START_DEADLINE"; then
		grep -q 'in use' "$log" && return 2
		return 1
	fi
	fx__track "dovecot-$name" "$dir/run/master.pid"
	for p in "${ports[@]}"; do
		if ! fx_wait_port 127.0.0.1 "$p"; then
			grep -q 'in use' "$log" && { fx_stop "dovecot-$name"; return 2; }
			return 1
		fi
	done
	fx_set_port "$name-imap" "${ports[0]}"
	fx_set_port "$name-imaps" "${ports[1]}"
	fx_set_port "$name-pop3" "${ports[2]}"
	fx_set_port "$name-pop3s" "${ports[3]}"
	return 0
}

# fx_maildir_wait USER N [SECONDS] [INSTANCE]: wait (default 15 s) until the
# user's Maildir holds at least N messages; print their paths, oldest first.
# Returns 1 (printing what is there on stderr) at the deadline.
fx_maildir_wait() {
	local md deadline files
	md=$(fx_maildir "$1" "${4:-main}")
	deadline=$((SECONDS + ${3:-15}))
	while :; do
		files=$(ls -1tr "$md"/new/* "$md"/cur/* 2>/dev/null)
		if [ -n "$files" ] && [ "$(printf '%s\n' "$files" | wc -l)" -ge "$2" ]; then
			printf '%s\n' "$files"
			return 0
		fi
		((SECONDS < deadline)) || break
		sleep 0.1
	done
	echo "fx_maildir_wait: $1 has $(printf '%s' "$files" | grep -c .) of $2 messages" >&2
	return 1
}

# --- Postfix ------------------------------------------------------------------

# fx_postfix_start [MECH...]: a private Postfix (needs root and a running
# "main" Dovecot) with
#   submission  STARTTLS required, AUTH only after it   port key "submission"
#   smtps       implicit TLS (wrappermode)               port key "smtps"
#   smtps-MECH  implicit TLS offering only SASL MECH     port key "smtps-MECH"
# AUTH goes to Dovecot's auth socket. Mail for user@example.test (alice,
# bob) goes over LMTP into Dovecot's Maildirs (fx_maildir_wait); every other
# domain is refused at RCPT, and default_transport is an error, so nothing
# leaves the machine. Sets FX_SUBMISSION_PORT and FX_SMTPS_PORT.
fx_postfix_start() {
	local try rc
	fx_need_postfix
	[ -S "$FX_DIR/dovecot-main/run/auth-postfix" ] || fx_dovecot_start main
	for try in 1 2 3; do
		fx__postfix_try "$@"
		rc=$?
		[ "$rc" = 0 ] && break
		[ "$rc" = 2 ] || fx_bail "postfix did not start (see $FX_DIR/logs/postfix.log)"
		fx_diag "postfix: a port was taken, retrying with other ports"
	done
	[ "$rc" = 0 ] || fx_bail "postfix: no free ports after 3 tries"
	FX_SUBMISSION_PORT=$(fx_port submission)
	FX_SMTPS_PORT=$(fx_port smtps)
}

fx__postfix_try() {
	local dir=$FX_DIR/postfix conf=$FX_DIR/postfix/conf log=$FX_DIR/logs/postfix.log
	local run=$FX_DIR/dovecot-main/run ports p u i=2 mech deadline
	mapfile -t ports < <(fx_free_ports $((2 + $#)))
	rm -rf "$dir"
	mkdir -p "$conf" "$dir/queue" "$dir/data"
	chown postfix:postfix "$dir/data"
	: >"$log"
	: >"$conf/vmailbox"
	for u in $FX_USERS; do echo "$u@$FX_DOMAIN OK" >>"$conf/vmailbox"; done
	cat >"$conf/main.cf" <<-CONF
		# Generated by quail tests/integration/lib.sh; nothing from /etc/postfix.
		compatibility_level = 3.6
		config_directory = $conf
		queue_directory = $dir/queue
		data_directory = $dir/data
		maillog_file = $log
		maillog_file_prefixes = $FX_DIR
		mail_owner = postfix
		setgid_group = postdrop
		myhostname = mail.$FX_DOMAIN
		mydomain = $FX_DOMAIN
		myorigin = \$mydomain
		mydestination =
		inet_interfaces = 127.0.0.1
		inet_protocols = ipv4
		mynetworks = 127.0.0.1/32
		smtp_dns_support_level = disabled
		smtpd_peername_lookup = no
		alias_maps =
		alias_database =
		biff = no
		relayhost =
		default_transport = error:outbound mail is disabled in the quail test fixture
		virtual_mailbox_domains = $FX_DOMAIN
		virtual_mailbox_maps = texthash:$conf/vmailbox
		virtual_transport = lmtp:unix:$run/lmtp
		smtpd_tls_cert_file = $FX_TLS/server.pem
		smtpd_tls_key_file = $FX_TLS/server.key
		smtpd_tls_security_level = may
		smtpd_tls_auth_only = yes
		smtpd_tls_loglevel = 1
		smtpd_sasl_type = dovecot
		smtpd_sasl_path = $run/auth-postfix
		smtpd_sasl_auth_enable = no
		smtpd_relay_restrictions = reject_unauth_destination
		smtpd_recipient_restrictions = permit_sasl_authenticated, reject
		smtpd_error_sleep_time = 0
		smtpd_client_connection_rate_limit = 0
		smtpd_client_connection_count_limit = 0
		shlib_directory = /usr/lib/postfix
		daemon_directory = /usr/lib/postfix/sbin
		meta_directory = /etc/postfix
	CONF
	{
		echo "# service type  private unpriv  chroot  wakeup  maxproc command + args"
		echo "127.0.0.1:${ports[0]} inet n - n - - smtpd"
		echo "  -o syslog_name=postfix/submission"
		echo "  -o smtpd_tls_security_level=encrypt"
		echo "  -o smtpd_sasl_auth_enable=yes"
		echo "  -o smtpd_client_restrictions=permit_sasl_authenticated,reject"
		echo "127.0.0.1:${ports[1]} inet n - n - - smtpd"
		echo "  -o syslog_name=postfix/smtps"
		echo "  -o smtpd_tls_wrappermode=yes"
		echo "  -o smtpd_sasl_auth_enable=yes"
		echo "  -o smtpd_client_restrictions=permit_sasl_authenticated,reject"
		for mech in "$@"; do
			echo "127.0.0.1:${ports[i]} inet n - n - - smtpd"
			echo "  -o syslog_name=postfix/smtps-$mech"
			echo "  -o smtpd_tls_wrappermode=yes"
			echo "  -o smtpd_sasl_auth_enable=yes"
			echo "  -o smtpd_sasl_mechanism_filter=$mech"
			echo "  -o smtpd_client_restrictions=permit_sasl_authenticated,reject"
			i=$((i + 1))
		done
		cat <<-'CONF'
			pickup    unix  n       -       n       60      1       pickup
			cleanup   unix  n       -       n       -       0       cleanup
			qmgr      unix  n       -       n       300     1       qmgr
			tlsmgr    unix  -       -       n       1000?   1       tlsmgr
			rewrite   unix  -       -       n       -       -       trivial-rewrite
			bounce    unix  -       -       n       -       0       bounce
			defer     unix  -       -       n       -       0       bounce
			trace     unix  -       -       n       -       0       bounce
			verify    unix  -       -       n       -       1       verify
			flush     unix  n       -       n       1000?   0       flush
			proxymap  unix  -       -       n       -       -       proxymap
			smtp      unix  -       -       n       -       -       smtp
			relay     unix  -       -       n       -       -       smtp
			showq     unix  n       -       n       -       -       showq
			error     unix  -       -       n       -       -       error
			retry     unix  -       -       n       -       -       error
			discard   unix  -       -       n       -       -       discard
			lmtp      unix  -       -       n       -       -       lmtp
			anvil     unix  -       -       n       -       1       anvil
			scache    unix  -       -       n       -       1       scache
			postlog   unix-dgram n  -       n       -       1       postlogd
		CONF
	} >"$conf/master.cf"
	# postfix(1) reports errors to syslog (absent) or a terminal only; the
	# reason is in $log, or run: script -qc "postfix -c $conf check" /dev/null
	if ! timeout 30 postfix -c "$conf" start </dev/null >>"$log" 2>&1; then
		grep -q 'in use' "$log" && return 2
		return 1
	fi
	fx__track postfix "$dir/queue/pid/master.pid"
	fx__wait_file "$dir/queue/pid/master.pid" "$FX_START_DEADLINE" || return 1
	for p in "${ports[@]}"; do
		fx_wait_port 127.0.0.1 "$p" || return 1
	done
	fx_set_port submission "${ports[0]}"
	fx_set_port smtps "${ports[1]}"
	i=2
	for mech in "$@"; do
		fx_set_port "smtps-$mech" "${ports[i]}"
		i=$((i + 1))
	done
	return 0
}

# --- servers with bad certificates --------------------------------------------

# fx_badtls_start: one implicit-TLS server (openssl s_server, listening on
# 127.0.0.1 only) per bad certificate. Port keys and variables:
#   badtls-expired    FX_EXPIRED_PORT    expired in 2020, issued by FX_CA
#   badtls-wronghost  FX_WRONGHOST_PORT  only wrong.example / 10.9.9.9
#   badtls-unknownca  FX_UNKNOWNCA_PORT  issued by a CA the client does not know
# After the handshake they echo lines reversed (-rev) and close on a line
# "CLOSE"; no mail protocol.
fx_badtls_start() {
	local kind try ok
	fx_need_cmd openssl
	# shellcheck disable=SC2034 # try only counts
	[ -n "${FX_CA:-}" ] || fx_certs
	for kind in expired wronghost unknownca; do
		for try in 1 2 3; do
			fx__badtls_try "$kind" && ok=1 && break
			ok=
		done
		[ -n "$ok" ] || fx_bail "s_server for $kind did not start (see $FX_DIR/logs/badtls-$kind.log)"
	done
	FX_EXPIRED_PORT=$(fx_port badtls-expired)
	FX_WRONGHOST_PORT=$(fx_port badtls-wronghost)
	FX_UNKNOWNCA_PORT=$(fx_port badtls-unknownca)
}

fx__badtls_try() {
	local kind=$1 port pid deadline log=$FX_DIR/logs/badtls-$1.log
	port=$(fx_free_ports 1)
	openssl s_server -accept "127.0.0.1:$port" -cert "$FX_TLS/$kind.pem" \
		-key "$FX_TLS/leaf.key" -rev -quiet -no_dhe </dev/null >>"$log" 2>&1 &
	pid=$!
	echo "$pid" >"$FX_DIR/badtls-$kind.pid"
	fx__track "badtls-$kind" "$FX_DIR/badtls-$kind.pid"
	deadline=$((SECONDS + FX_START_DEADLINE))
	while ! fx_wait_port 127.0.0.1 "$port" 1; do
		if ! fx__alive "$pid" || ((SECONDS >= deadline)); then
			fx_stop "badtls-$kind"
			return 1
		fi
	done
	fx_set_port "badtls-$kind" "$port"
}

# --- fake servers ---------------------------------------------------------------

# fx_fake_start NAME SCENARIO [ARG]: start fakeserver (see fakeserver.c) on a
# port it picks itself (port key NAME). What it receives is logged, "C: line",
# in $FX_DIR/logs/fake-NAME.log (fx_fake_log NAME).
fx_fake_start() {
	local name=$1 out=$FX_DIR/fake-$1.out pid port
	shift
	: >"$out"
	"$FAKESERVER" -l "$FX_DIR/logs/fake-$name.log" "$@" </dev/null >"$out" \
		2>>"$FX_DIR/logs/fake-$name.log" &
	pid=$!
	echo "$pid" >"$FX_DIR/fake-$name.pid"
	fx__track "fake-$name" "$FX_DIR/fake-$name.pid"
	fx__wait_file "$out" 10 || fx_bail "fakeserver $name did not start"
	port=$(sed -n 's/^port //p' "$out")
	[ -n "$port" ] || fx_bail "fakeserver $name printed no port"
	fx_set_port "$name" "$port"
}

fx_fake_log() { # name: what the fake server has logged so far
	cat "$FX_DIR/logs/fake-$1.log" 2>/dev/null
}

# fx_plain PORT [SECONDS]: send stdin's lines (CRLF) to 127.0.0.1:PORT in
# plaintext, then print what the server sends, CRs removed, until it closes
# (at most SECONDS, default 5: exit 124 then).
fx_plain() {
	timeout -k 1 "${2:-5}" bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		sed "s/\$/\r/" >&3
		tr -d "\r" <&3' _ "$1"
}

# fx_tls PORT [SECONDS] [s_client options...]: the same over TLS, verified
# against FX_CA for the name localhost (openssl s_client -quiet -crlf).
fx_tls() {
	local port=$1 t=${2:-5}
	shift 2
	timeout -k 1 "$t" openssl s_client -connect "127.0.0.1:$port" -CAfile "$FX_CA" \
		-verify_return_error -verify_hostname localhost -servername localhost \
		-quiet -crlf "$@" | tr -d '\r'
	return "${PIPESTATUS[0]}"
}

# --- a scripted client (one at a time) ------------------------------------------

# fx_client_start command...: run a line-based client (for example openssl
# s_client -quiet) as a coprocess, bounded by 60 s. fx_client_send LINE
# writes a line; fx_client_expect ERE [SECONDS] reads lines until one matches
# (default 10 s), leaving it in FX_LINE; fx_client_stop ends the client.
fx_client_start() {
	FX_CLIENT_LOG=$FX_DIR/logs/client-$FX_NRUN-$RANDOM.log
	coproc FXC { exec timeout -k 2 60 "$@" 2>>"$FX_CLIENT_LOG"; }
	FX_CLIENT_PID=$FXC_PID
	# bash closes FXC's descriptors as soon as it reaps the coprocess, even
	# with output still unread in the pipe: read from copies of our own.
	exec {FX_CLIENT_IN}<&"${FXC[0]}" {FX_CLIENT_OUT}>&"${FXC[1]}"
	echo "$FX_CLIENT_PID" >"$FX_DIR/client.pid"
	fx__track client "$FX_DIR/client.pid"
}

fx_client_send() { # line
	echo "C: $1" >>"$FX_CLIENT_LOG"
	{ printf '%s\n' "$1" >&"$FX_CLIENT_OUT"; } 2>/dev/null # the client may be gone
}

fx_client_expect() { # ERE [seconds]
	local deadline=$((SECONDS + ${2:-10})) line t
	FX_LINE=
	while ((SECONDS < deadline)); do
		# read -t keeps a partial line and consumes it: wait the whole rest
		t=$((deadline - SECONDS))
		IFS= read -r -t "$((t > 0 ? t : 1))" line <&"$FX_CLIENT_IN" || return 1
		line=${line%$'\r'}
		echo "S: $line" >>"$FX_CLIENT_LOG"
		if [[ $line =~ $1 ]]; then
			FX_LINE=$line
			return 0
		fi
	done
	return 1
}

fx_client_stop() {
	[ -n "${FX_CLIENT_PID:-}" ] || return 0
	exec {FX_CLIENT_OUT}>&- {FX_CLIENT_IN}<&-
	fx_stop client
	FX_CLIENT_PID=
}
