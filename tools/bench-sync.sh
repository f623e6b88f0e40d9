#!/bin/bash
# Times `quail sync` beside mbsync (isync) on the Dovecot fixture of the
# integration tests: N messages (default 3000) in INBOX, each client with
# its own Maildir, after a first sync of each (untimed):
#   1. a sync with nothing changed (median of RUNS, default 5);
#   2. 1,000 flag changes on the server (doveadm) and 1,000 in the
#      client's Maildir (renames), then one sync.
# With QUAIL_BEFORE=other/quail an earlier build is timed in the same run
# (its own Maildir), so figures on a busy machine can be compared.
# Usage: QUAIL=build/quail [QUAIL_BEFORE=old/quail] tools/bench-sync.sh [N]
# Needs dovecot, doveadm, openssl and mbsync (Debian isync).

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/integration/lib.sh"
. "$here/../tests/integration/imap-common.sh"
N=${1:-3000}
RUNS=${RUNS:-5}
fx_need_cmd openssl dovecot doveadm mbsync awk
fx_init
fx_certs
fx_dovecot_start
inbox=$(im_folder alice INBOX)
im_gen "$inbox" "$N" 1 b
im_resync alice
qdir=$FX_DIR/quail mdir=$FX_DIR/mbsync
mkdir -p "$mdir"
cat >"$FX_DIR/mbsyncrc" <<RC
IMAPAccount fx
Host localhost
Port $FX_IMAPS_PORT
User alice
Pass $FX_PASSWORD
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
Patterns INBOX
Create Both
Expunge Both
SyncState *
RC
q() { "$QUAIL" sync --imap "imaps://127.0.0.1:$FX_IMAPS_PORT" --user alice \
	--password-command "echo $FX_PASSWORD" --ca-file "$FX_CA" -o "$qdir" -q >/dev/null; }
m() { mbsync -q -c "$FX_DIR/mbsyncrc" fx >/dev/null; }
b() { QUAIL=$QUAIL_BEFORE qdir=$FX_DIR/quail-before q; }
ms() { local t0 t1; t0=$(date +%s%N); "$@"; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
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
echo "first sync: quail $(ms q) ms, mbsync $(ms m) ms ($N messages)"
[ -n "${QUAIL_BEFORE:-}" ] && echo "first sync: quail before $(ms b) ms"
# A Maildir's record is written by a run whose directories had settled.
sleep 3
q; m
[ -n "${QUAIL_BEFORE:-}" ] && b
# interleaved, so load on a shared machine hits every client alike
: >"$FX_DIR/t.q"; : >"$FX_DIR/t.m"; : >"$FX_DIR/t.b"
for i in $(seq "$RUNS"); do
	ms q >>"$FX_DIR/t.q"
	ms m >>"$FX_DIR/t.m"
	[ -n "${QUAIL_BEFORE:-}" ] && ms b >>"$FX_DIR/t.b"
done
qt=$(median <"$FX_DIR/t.q")
mt=$(median <"$FX_DIR/t.m")
echo "no change: quail $qt ms, mbsync $mt ms (median of $RUNS), ratio $(awk -v a="$qt" -v b="$mt" 'BEGIN { printf "%.2f", a / b }')"
[ -n "${QUAIL_BEFORE:-}" ] && echo "no change: quail before $(median <"$FX_DIR/t.b") ms (median of $RUNS)"
# 1,000 changes on the server and 1,000 here, for each client in turn
im_doveadm flags add -u alice '\Answered' mailbox INBOX uid 1:1000 || fx_bail "doveadm flags failed"
flip_local "$qdir/INBOX"
qf=$(ms q)
[ "$(im_server_flags alice INBOX)" = "$(im_local_flags "$qdir/INBOX")" ] ||
	echo "quail: the two sides differ after the flag run"
m # mbsync catches up (untimed)
im_doveadm flags remove -u alice '\Answered' mailbox INBOX uid 1:1000 || fx_bail "doveadm flags failed"
flip_local "$mdir/INBOX"
mf=$(ms m)
echo "1000 flag changes on each side: quail $qf ms, mbsync $mf ms, ratio $(awk -v a="$qf" -v b="$mf" 'BEGIN { printf "%.2f", a / b }')"
