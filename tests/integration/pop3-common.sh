# shellcheck shell=bash
# Helpers shared by the pop3-*.sh integration tests (sourced after lib.sh;
# not a test itself).

# p3_gen DIR N [SEED] [BIG...]: writes N deterministic messages with CRLF
# line ends as DIR/new/<P><i>.msg (i = 1..N, P = $P3_PREFIX) for Dovecot to
# serve. Sizes are
# mixed: mostly 1-8 kB of text, every 10th ~60 kB, every 97th ~1 MB, and
# each i listed in BIG about 11 MB. Bodies exercise POP3 dot-stuffing
# (lines ".", "..", ".x"), "From " lines, 8-bit UTF-8, a 998-byte line, and
# in message 7 (when N >= 7) one 100 kB line, longer than quail's 64 kB
# line buffer.
p3_gen() {
	local dir=$1 n=$2 seed=${3:-1}
	shift 3 2>/dev/null || shift $#
	mkdir -p "$dir/new" "$dir/cur" "$dir/tmp"
	awk -v dir="$dir/new" -v n="$n" -v seed="$seed" -v big="$*" -v pre="${P3_PREFIX:-}" '
	BEGIN {
		srand(seed)
		abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		for (k = 0; k < 997; k++) {
			l = ""
			for (c = 0; c < 76; c++)
				l = l substr(abc, int(rand() * 64) + 1, 1)
			pool[k] = l
		}
		nb = split(big, b, " ")
		for (k = 1; k <= nb; k++)
			isbig[b[k]] = 1
		long = ""
		for (c = 0; c < 998; c++)
			long = long substr(abc, (c % 64) + 1, 1)
		for (i = 1; i <= n; i++) {
			f = dir "/" pre i ".msg"
			printf "Return-Path: <sender%d@example.test>\r\n", i % 7 > f
			printf "From: Sender %d <sender%d@example.test>\r\n", i % 7, i % 7 > f
			printf "To: alice@example.test\r\n" > f
			printf "Subject: test message %d (seed %d)\r\n", i, seed > f
			printf "Message-ID: <m%d.s%d@example.test>\r\n", i, seed > f
			printf "MIME-Version: 1.0\r\n" > f
			printf "Content-Type: text/plain; charset=utf-8\r\n\r\n" > f
			printf "Hello %d, grüße aus dem Test.\r\n.\r\n..\r\n.leading dot\r\n", i > f
			printf "From the middle of a line\r\nFrom start\r\n%s\r\n", long > f
			if (i == 7) {
				for (c = 0; c < 1400; c++)
					printf "%s", pool[c % 997] > f
				printf "\r\n" > f
			}
			lines = 10 + int(rand() * 90)
			if (i % 10 == 0) lines = 800
			if (i % 97 == 0) lines = 13500
			if (i in isbig) lines = 145000
			for (k = 0; k < lines; k++) {
				printf "%s\r\n", pool[(i * 31 + k) % 997] > f
				if (k % 500 == 250)
					printf ".%s\r\n", pool[k % 997] > f
			}
			printf "-- \r\nend of %d\r\n", i > f
			close(f)
		}
	}'
	[ "$(id -u)" = 0 ] && chown -R "$FX_MAIL_UID:$FX_MAIL_GID" "$dir"
	return 0
}

# p3_resync USER: make Dovecot rescan the user's Maildir now (it checks
# new/ by its mtime, to the second, and could miss files added within the
# second of its last look).
p3_resync() {
	timeout 20 doveadm -c "$FX_DIR/dovecot-main/dovecot.conf" force-resync -u "$1" INBOX ||
		fx_bail "doveadm force-resync failed"
}

# p3_sums DIR...: the sorted sha256 sums of every message in the Maildirs'
# new/ and cur/, one a line (duplicates show as repeated lines).
p3_sums() {
	local d
	for d in "$@"; do
		find "$d/new" "$d/cur" -type f -print0 2>/dev/null
	done | xargs -0 -r sha256sum | awk '{ print $1 }' | sort
}

# p3_bytes DIR: their total size.
p3_bytes() {
	find "$1/new" "$1/cur" -type f -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

# p3_count DIR: messages in a Maildir's new/ and cur/.
p3_count() {
	find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l
}

# p3_fetch URL [args...]: quail fetch as alice, trusting FX_CA.
p3_fetch() {
	local url=$1
	shift
	fx_run -t "${P3_TIMEOUT:-60}" "$QUAIL" fetch --pop3 "$url" --user alice \
		--password-command "echo $FX_PASSWORD" --ca-file "${CA:-$FX_CA}" --timeout 20 "$@"
}

# p3_need_fetch: skip unless $QUAIL has the fetch command.
p3_need_fetch() {
	timeout 10 "$QUAIL" fetch --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no fetch command"
}
