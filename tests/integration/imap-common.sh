# shellcheck shell=bash
# Helpers shared by the imap-*.sh integration tests (sourced after lib.sh;
# not a test itself).

im_doveadm() { # doveadm with the fixture's config
	timeout 60 doveadm -c "$FX_DIR/dovecot-main/dovecot.conf" "$@"
}

# im_folder USER NAME: create the folder (UTF-8 name) and print its Maildir.
im_folder() {
	if [ "$2" != INBOX ]; then
		im_doveadm mailbox create -u "$1" "$2" 2>/dev/null || true
	fi
	im_doveadm mailbox path -u "$1" "$2" || fx_bail "doveadm mailbox path $2 failed"
}

# im_gen DIR N SEED [PREFIX]: writes N deterministic messages (CRLF) into
# the Maildir DIR for Dovecot to serve. Message i carries its flags as
# Maildir info and in a header "X-Want-Flags: LETTERS" (i % 5: none, S,
# FS, RS, DS), so a fetched copy can be checked against it; unflagged ones
# go into new/. Sizes are mixed: mostly 1-8 kB, every 10th ~60 kB, every
# 97th ~1 MB; bodies have 8-bit UTF-8, "From " and "." lines and a
# 998-byte line.
im_gen() {
	local dir=$1 n=$2 seed=$3 pre=${4:-m}
	mkdir -p "$dir/new" "$dir/cur" "$dir/tmp"
	awk -v dir="$dir" -v n="$n" -v seed="$seed" -v pre="$pre" '
	BEGIN {
		srand(seed)
		abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		for (k = 0; k < 997; k++) {
			l = ""
			for (c = 0; c < 76; c++)
				l = l substr(abc, int(rand() * 64) + 1, 1)
			pool[k] = l
		}
		long = ""
		for (c = 0; c < 998; c++)
			long = long substr(abc, (c % 64) + 1, 1)
		split(",S,FS,RS,DS", fl, ",")
		for (i = 1; i <= n; i++) {
			want = fl[(i % 5) + 1]
			if (want == "")
				f = dir "/new/" pre "." seed "." i
			else
				f = dir "/cur/" pre "." seed "." i ":2," want
			printf "From: Sender %d <s%d@example.test>\r\n", i % 7, i % 7 > f
			printf "To: alice@example.test\r\n" > f
			printf "Subject: %s %d (seed %d) gr\303\274\303\237e\r\n", pre, i, seed > f
			printf "Message-ID: <%s.%d.%d@example.test>\r\n", pre, i, seed > f
			printf "X-Want-Flags: %s\r\n", want > f
			printf "Content-Type: text/plain; charset=utf-8\r\n\r\n" > f
			printf "Hello %d, gr\303\274\303\237e.\r\n.\r\n..\r\nFrom here\r\n%s\r\n", i, long > f
			lines = 10 + int(rand() * 90)
			if (i % 10 == 0) lines = 800
			if (i % 97 == 0) lines = 13500
			for (k = 0; k < lines; k++)
				printf "%s\r\n", pool[(i * 31 + k) % 997] > f
			printf "-- \r\nend of %d\r\n", i > f
			close(f)
		}
	}'
	[ "$(id -u)" = 0 ] && chown -R "$FX_MAIL_UID:$FX_MAIL_GID" "$dir"
	return 0
}

im_resync() { # USER: make Dovecot see what was written into its Maildirs
	im_doveadm force-resync -u "$1" '*' || fx_bail "doveadm force-resync failed"
}

# im_sums DIR: "sha256" of every message file under DIR's new/ and cur/
# folders (any depth), sorted, one a line.
im_sums() {
	find "$1" -type f \( -path '*/new/*' -o -path '*/cur/*' \) -print0 2>/dev/null |
		xargs -0 -r sha256sum | awk '{ print $1 }' | sort
}

# im_folder_sums DIR: the sums of one Maildir's own new/ and cur/.
im_folder_sums() {
	find "$1/new" "$1/cur" -maxdepth 1 -type f -print0 2>/dev/null |
		xargs -0 -r sha256sum | awk '{ print $1 }' | sort
}

im_count() { # DIR: messages in new/ and cur/ folders below DIR
	find "$1" -type f \( -path '*/new/*' -o -path '*/cur/*' \) 2>/dev/null | wc -l
}

# im_bad_flags DIR: files under DIR whose Maildir flags differ from their
# X-Want-Flags header (or that sit in new/ with flags wanted), one a line.
im_bad_flags() {
	find "$1" -type f \( -path '*/new/*' -o -path '*/cur/*' \) | awk '
	{
		f = $0; want = ""; n = 0
		while (n++ < 12 && (getline line < f) > 0)
			if (line ~ /^X-Want-Flags:/) {
				want = line
				sub(/^X-Want-Flags: */, "", want)
				match(want, /^[A-Z]*/)
				want = substr(want, 1, RLENGTH)
			}
		close(f)
		base = f
		sub(/.*\//, "", base)
		got = ""
		if (base ~ /:2,/) {
			got = base
			sub(/.*:2,/, "", got)
		}
		if (got != want)
			print f ": want \047" want "\047 got \047" got "\047"
		else if (want == "" && f !~ /\/new\//)
			print f ": unflagged mail not in new/"
	}'
}

# im_server_flags USER FOLDER: "<message-id> LETTERS" for each message of
# the folder on the server, LETTERS its flags as Maildir info (DFPRST),
# sorted.
im_server_flags() {
	im_doveadm -f tab fetch -u "$1" 'flags hdr.message-id' mailbox "$2" | tail -n +2 |
		awk -F'\t' '{
			l = ""
			if ($1 ~ /\\Draft/) l = l "D"
			if ($1 ~ /\\Flagged/) l = l "F"
			if ($1 ~ /\$Forwarded/) l = l "P"
			if ($1 ~ /\\Answered/) l = l "R"
			if ($1 ~ /\\Seen/) l = l "S"
			if ($1 ~ /\\Deleted/) l = l "T"
			gsub(/[ \r]/, "", $2)
			print $2, l
		}' | sort
}

# im_local_flags DIR: the same for the copies in the Maildir DIR (its own
# new/ and cur/; other writers' keyword letters left out).
im_local_flags() {
	# One awk for every file: a process per file is slow on a busy machine.
	find "$1/new" "$1/cur" -maxdepth 1 -type f 2>/dev/null | awk '
	{
		f = $0; id = ""; n = 0
		while (n++ < 12 && (getline line < f) > 0)
			if (id == "" && line ~ /^Message-ID: *</) {
				id = line
				sub(/^Message-ID: */, "", id)
				sub(/>.*/, ">", id)
			}
		close(f)
		base = f
		sub(/.*\//, "", base)
		got = ""
		if (base ~ /:2,/) {
			got = base
			sub(/.*:2,/, "", got)
		}
		gsub(/[^DFPRST]/, "", got)
		print id, got
	}' | sort
}

# im_fetch URL [args...]: quail fetch as alice, trusting FX_CA.
im_fetch() {
	local url=$1
	shift
	fx_run -t "${IM_TIMEOUT:-120}" "$QUAIL" fetch --imap "$url" --user alice \
		--password-command "echo $FX_PASSWORD" --ca-file "${CA:-$FX_CA}" --timeout 20 "$@"
}

im_need_fetch() { # skip unless $QUAIL has fetch and list
	timeout 10 "$QUAIL" fetch --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no fetch command"
	timeout 10 "$QUAIL" list --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no list command"
}
