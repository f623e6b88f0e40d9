#!/bin/bash
# Times `quail sync --all-folders` beside `mbsync -a` (isync, Sync All) on
# the Dovecot fixture of the integration tests: N messages (default 20000)
# spread over FOLDERS folders (default 5: INBOX and F2..F5), each client
# with its own Maildir, after a first sync of each (untimed unless shown):
#   1. a sync with nothing changed (median of RUNS, default 5);
#   2. 1,000 flag changes on the server (doveadm, INBOX) and 1,000 in the
#      client's Maildir (renames, INBOX), then one sync; the other folders
#      are unchanged.
# The first sync (fresh Maildirs and state) is timed FIRST times per client
# (default 1; interleaved, the median shown), with when the newest message
# of INBOX (its highest UID) was on disk, read from the delivery time in
# its file name (quail: microseconds; mbsync: seconds). FIRST_ONLY=1 stops
# after it.
# Each timed run also records its peak RSS and CPU time (/usr/bin/time;
# the rest of the wall time is waiting, mostly on the server), and the ratios
# quail/mbsync are printed (below 0.33 meets the 3x target).
# With QUAIL_BEFORE=other/quail an earlier build is timed in the same run
# (its own Maildir), so figures on a busy machine can be compared.
# SHARED_LOGIN=1 runs Dovecot's imap-login as one long-lived process
# (service_count = 0, its "high-performance" mode) instead of one per
# connection: only then can a TLS session be resumed (each process has
# its own ticket key), which quail does and mbsync does not.
# FLOOR=1 also times the floor after the no-change runs: process start
# (`quail --version`, RUNS times, beside `true` for the cost of timing a
# process at all) plus what tools/bench-floor.py measures
# (connect, TLS, greeting, LOGIN, LIST-STATUS, LOGOUT in one process, full
# and resumed handshakes; again with SCRAM-SHA-256, which quail prefers, in
# place of LOGIN), and says whether 3x under mbsync is reachable.
# STRACE=FILE writes an strace -f -r log of one no-change quail sync (the
# network calls, reads and writes, polls: the round trips and their waits;
# the opens, renames, unlinks and fsyncs: what a no-change run writes).
# Messages are small (about 1-3 kB): the cases timed never fetch bodies.
# Usage: QUAIL=build/quail [QUAIL_BEFORE=old/quail] [FOLDERS=5] [RUNS=5]
#        [SHARED_LOGIN=1] [FIRST=1] [FIRST_ONLY=1] [STRACE=file] [FLOOR=1]
#        tools/bench-sync.sh [N]
# Needs dovecot, doveadm, openssl, mbsync (Debian isync) and /usr/bin/time.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/integration/lib.sh"
. "$here/../tests/integration/imap-common.sh"
N=${1:-20000}
RUNS=${RUNS:-5}
FOLDERS=${FOLDERS:-5}
fx_need_cmd openssl dovecot doveadm mbsync awk /usr/bin/time
fx_init
fx_certs
fx_dovecot_start
if [ -n "${SHARED_LOGIN:-}" ]; then
	sed -i 's/^\([[:space:]]*\)service imap-login {/&\n\1  service_count = 0/' \
		"$FX_DIR/dovecot-main/dovecot.conf"
	im_doveadm reload || fx_bail "doveadm reload failed"
	sleep 1
fi

# gen DIR COUNT SEED: COUNT small messages (CRLF), every fifth unflagged in
# new/, the rest in cur/ with S, FS, RS or DS.
gen() {
	mkdir -p "$1/new" "$1/cur" "$1/tmp"
	awk -v dir="$1" -v n="$2" -v seed="$3" 'BEGIN {
		split(",S,FS,RS,DS", fl, ",")
		for (i = 1; i <= n; i++) {
			want = fl[(i % 5) + 1]
			if (want == "") f = dir "/new/b." seed "." i
			else f = dir "/cur/b." seed "." i ":2," want
			printf "From: Sender %d <s%d@example.test>\r\nTo: alice@example.test\r\n", i % 7, i % 7 > f
			printf "Subject: bench %d (folder %d)\r\n", i, seed > f
			printf "Message-ID: <b.%d.%d@example.test>\r\n\r\n", i, seed > f
			for (k = 0; k < 10 + i % 30; k++)
				printf "line %d of message %d in folder %d, some words to fill it.\r\n", k, i, seed > f
			close(f)
		}
	}'
}
folder_name() { [ "$1" = 1 ] && echo INBOX || echo "F$1"; }
per=$((N / FOLDERS))
for i in $(seq "$FOLDERS"); do
	n=$per
	[ "$i" = 1 ] && n=$((N - per * (FOLDERS - 1)))
	gen "$(im_folder alice "$(folder_name "$i")")" "$n" "$i"
done
im_resync alice
qdir=$FX_DIR/quail mdir=$FX_DIR/mbsync
mkdir -p "$mdir"
# Both clients get the password alike: from their own file (mbsync's Pass,
# quail's password = in a 0600 config), or with PASSCMD=1 from a command
# that prints it (PassCmd, password_command): one more process per run.
if [ -n "${PASSCMD:-}" ]; then
	mpass="PassCmd \"echo $FX_PASSWORD\"" qpass="password_command = echo $FX_PASSWORD"
else
	mpass="Pass $FX_PASSWORD" qpass="password = $FX_PASSWORD"
fi
cat >"$FX_DIR/quail.conf" <<CONF
[account fx]
imap = imaps://127.0.0.1:$FX_IMAPS_PORT
user = alice
$qpass
ca_file = $FX_CA
CONF
chmod 600 "$FX_DIR/quail.conf"
cat >"$FX_DIR/mbsyncrc" <<RC
IMAPAccount fx
Host localhost
Port $FX_IMAPS_PORT
User alice
$mpass
SSLType IMAPS
CertificateFile $FX_CA
AuthMechs PLAIN

IMAPStore fx-remote
Account fx

MaildirStore fx-local
Path $mdir/
Inbox $mdir/INBOX
SubFolders Verbatim

Channel fx
Far :fx-remote:
Near :fx-local:
Patterns *
Create Both
Expunge Both
Sync All
SyncState *
RC
# the three clients' command lines (arrays: /usr/bin/time runs them)
qsync() { # BINARY DIR
	QS=("$1" sync --config "$FX_DIR/quail.conf" --account fx -o "$2" --all-folders -q)
}
qsync "$QUAIL" "$qdir"
Q=("${QS[@]}")
qsync "${QUAIL_BEFORE:-false}" "$FX_DIR/quail-before"
B=("${QS[@]}")
M=(mbsync -q -c "$FX_DIR/mbsyncrc" -a)
# ms NAME CMD...: runs CMD (output dropped), prints its wall time in ms;
# its peak RSS (kB) and CPU time (user, system s) go to $FX_DIR/rss.NAME,
# one line per run
ms() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s%N)
	/usr/bin/time -f "%M %U %S" -a -o "$FX_DIR/rss.$name" "$@" >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f (%.1fx faster)", a / b, b / a }'; }
peak() { sort -n "$FX_DIR/rss.$1" | tail -1 | awk '{ printf "%.1f MB", $1 / 1024 }'; }
# cpu NAME: the median CPU time (user + system) of NAME's runs, in ms
cpu() { awk '{ print int(($2 + $3) * 1000) }' "$FX_DIR/rss.$1" | median; }
# local flag changes: toggle F on the first 1000 files (by name) of a Maildir
flip_local() {
	find "$1/cur" "$1/new" -type f | sort | head -1000 | awk '{
		n = split($0, p, "/"); b = p[n]; d = substr($0, 1, length($0) - length(b) - 5)
		i = index(b, ":2,")
		if (i) { base = substr(b, 1, i - 1); fl = substr(b, i + 3) } else { base = b; fl = "" }
		if (index(fl, "F")) gsub("F", "", fl); else fl = fl "F"
		m = split(fl, c, ""); s = ""
		for (k = 65; k < 91; k++) for (j = 1; j <= m; j++) if (c[j] == sprintf("%c", k)) s = s c[j]
		for (j = 1; j <= m; j++) if (c[j] !~ /[A-Z]/) s = s c[j]
		print $0; print d "/cur/" base ":2," s
	}' | while IFS= read -r from && IFS= read -r to; do mv "$from" "$to"; done
}
# The Message-ID of INBOX's highest UID: the message a newest-first sync
# stores first.
newest_id=$(im_doveadm -f tab fetch -u alice 'uid hdr.message-id' mailbox INBOX | tail -n +2 |
	sort -k1,1nr | head -1 | cut -f2 | tr -d ' \r')
# landed DIR T0_NS: ms from T0_NS until the file holding newest_id was
# delivered under DIR/INBOX, from its name ("SECONDS.M<usec>P..." as quail
# names it, "SECONDS.<pid>_..." as mbsync does: whole seconds there)
landed() {
	local f b
	f=$(grep -l -m1 -F "Message-ID: $newest_id" "$1"/INBOX/cur/* "$1"/INBOX/new/* 2>/dev/null | head -1)
	[ -n "$f" ] || { echo "?"; return; }
	b=${f##*/}
	echo "$b" | awk -v t0="$2" -F. '{
		us = 0
		if ($2 ~ /^M[0-9]+P/) { us = substr($2, 2); sub(/P.*/, "", us) }
		printf "%d\n", ($1 * 1000000 + us - t0 / 1000) / 1000 }'
}
# first NAME DIR CMD...: a first sync into a fresh DIR; appends its wall
# time (ms) to $FX_DIR/t.NAME and the newest's landing (ms) to n.NAME
first() {
	local name=$1 dir=$2 t0
	shift 2
	rm -rf "$dir"
	mkdir -p "$dir"
	t0=$(date +%s%N)
	ms "$name" "$@" >>"$FX_DIR/t.$name"
	landed "$dir" "$t0" >>"$FX_DIR/n.$name"
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "${FIRST:-1}"); do
	first q1 "$qdir" "${Q[@]}"
	first m1 "$mdir" "${M[@]}"
	[ -n "${QUAIL_BEFORE:-}" ] && first b1 "$FX_DIR/quail-before" "${B[@]}"
done
echo "first sync: quail $(median <"$FX_DIR/t.q1") ms, mbsync $(median <"$FX_DIR/t.m1") ms" \
	"($N messages, $FOLDERS folders, median of ${FIRST:-1}), ratio" \
	"$(ratio "$(median <"$FX_DIR/t.q1")" "$(median <"$FX_DIR/t.m1")")"
echo "first sync, newest message on disk after: quail $(median <"$FX_DIR/n.q1") ms," \
	"mbsync $(median <"$FX_DIR/n.m1") ms (whole seconds)"
if [ -n "${QUAIL_BEFORE:-}" ]; then
	echo "first sync: quail before $(median <"$FX_DIR/t.b1") ms, newest on disk after $(median <"$FX_DIR/n.b1") ms"
fi
echo "first sync peak RSS: quail $(peak q1), mbsync $(peak m1); CPU: quail $(cpu q1) ms, mbsync $(cpu m1) ms"
echo "quail's Maildirs: $(im_count "$qdir") files," \
	"mbsync's: $(im_count "$mdir")"
if [ -n "${FIRST_ONLY:-}" ]; then
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	exit 0
fi
# A Maildir's record is written by a run whose directories had settled.
sleep 3
"${Q[@]}" >/dev/null; "${M[@]}" >/dev/null
[ -n "${QUAIL_BEFORE:-}" ] && "${B[@]}" >/dev/null
if [ -n "${STRACE:-}" ]; then
	calls=network,read,write,poll,ppoll,connect,openat,rename,unlink,fsync,fdatasync,mkdir
	strace -f -r -o "$STRACE" -e trace=$calls "${Q[@]}" >/dev/null
	echo "strace of a no-change sync: $STRACE"
fi
# interleaved, so load on a shared machine hits every client alike
: >"$FX_DIR/t.q"; : >"$FX_DIR/t.m"; : >"$FX_DIR/t.b"
for i in $(seq "$RUNS"); do
	ms q0 "${Q[@]}" >>"$FX_DIR/t.q"
	ms m0 "${M[@]}" >>"$FX_DIR/t.m"
	[ -n "${QUAIL_BEFORE:-}" ] && ms b0 "${B[@]}" >>"$FX_DIR/t.b"
done
qt=$(median <"$FX_DIR/t.q")
mt=$(median <"$FX_DIR/t.m")
echo "no change: quail $qt ms, mbsync $mt ms (median of $RUNS), ratio $(ratio "$qt" "$mt")"
echo "no change peak RSS: quail $(peak q0), mbsync $(peak m0); CPU: quail $(cpu q0) ms, mbsync $(cpu m0) ms"
[ -n "${QUAIL_BEFORE:-}" ] &&
	echo "no change: quail before $(median <"$FX_DIR/t.b") ms (median of $RUNS), peak RSS $(peak b0), CPU $(cpu b0) ms"
if [ -n "${FLOOR:-}" ]; then
	: >"$FX_DIR/t.v"; : >"$FX_DIR/t.t"
	for i in $(seq "$RUNS"); do
		ms v "$QUAIL" --version >>"$FX_DIR/t.v"
		ms t true >>"$FX_DIR/t.t"
	done
	vt=$(median <"$FX_DIR/t.v")
	echo "process start (quail --version): $vt ms, of which the timing itself" \
		"(true): $(median <"$FX_DIR/t.t") ms (median of $RUNS)"
	for mech in LOGIN SCRAM-SHA-256; do
		/usr/bin/python3 "$here/bench-floor.py" 127.0.0.1 "$FX_IMAPS_PORT" "$FX_CA" alice \
			"$FX_PASSWORD" "$RUNS" "$mech" || fx_bail "bench-floor.py failed"
	done >"$FX_DIR/floor"
	grep '^floor' "$FX_DIR/floor"
	for kind in full resumed; do
		bare=$(awk -v k="$kind" '$1 == "floor" && $2 == k && $3 == "LOGIN" {
			for (i = 1; i < NF; i++) if ($i == "bare") print $(i + 1) }' "$FX_DIR/floor")
		[ -n "$bare" ] || continue
		awk -v v="$vt" -v b="$bare" -v m="$mt" -v k="$kind" 'BEGIN {
			f = v + b
			printf "floor (%s TLS): %.1f ms = start %d + connect to LOGOUT reply %.1f;" \
				" mbsync / 3 = %.1f ms: ", k, f, v, b, m / 3
			if (f > m / 3) print "3x under mbsync cannot be met against this server"
			else print "3x under mbsync is within reach" }'
	done
fi
# 1,000 changes on the server and 1,000 here, for each client in turn
im_doveadm flags add -u alice '\Answered' mailbox INBOX uid 1:1000 || fx_bail "doveadm flags failed"
flip_local "$qdir/INBOX"
qf=$(ms qf "${Q[@]}")
[ "$(im_server_flags alice INBOX)" = "$(im_local_flags "$qdir/INBOX")" ] ||
	echo "quail: the two sides differ after the flag run"
"${M[@]}" >/dev/null # mbsync catches up (untimed)
im_doveadm flags remove -u alice '\Answered' mailbox INBOX uid 1:1000 || fx_bail "doveadm flags failed"
flip_local "$mdir/INBOX"
mf=$(ms mf "${M[@]}")
[ "$(im_server_flags alice INBOX)" = "$(im_local_flags "$mdir/INBOX")" ] ||
	echo "mbsync: the two sides differ after the flag run"
echo "1000 flag changes on each side: quail $qf ms, mbsync $mf ms, ratio $(ratio "$qf" "$mf")"
echo "flag changes peak RSS: quail $(peak qf), mbsync $(peak mf); CPU: quail $(cpu qf) ms, mbsync $(cpu mf) ms"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
