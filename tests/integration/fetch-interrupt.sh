#!/bin/bash
# Ctrl-C during quail fetch (IMAP and POP3 against Dovecot): SIGINT sent
# mid-download ends the run within a second with exit 75, the usual
# summary of what was stored on stdout and "quail: fetch: canceled" on
# stderr; nothing partial is left in new/ or cur/, and the next run
# completes the work with every message stored exactly once (counts and
# hashes compared with the server's). SIGTERM behaves the same. Skips (77)
# without Dovecot or quail fetch.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-common.sh"

fx_need_quail
im_need_fetch
fx_need_cmd openssl dovecot doveadm sha256sum awk pgrep timeout
fx_init
fx_certs
fx_dovecot_start

server=$(fx_maildir alice)
inbox=$(im_folder alice INBOX)
im_gen "$inbox" 1500 7 i
im_resync alice
want() { im_sums "$server"; }
fx_is "$(want | sort -u | grep -c .)" 1500 "1500 distinct messages on the server"

# interrupt SIGNAL DESC PROTO URL OUT: starts a fetch, sends SIGNAL once
# some messages are stored, and checks how it ended.
interrupt() {
	local sig=$1 desc=$2 proto=$3 url=$4 out=$5 pid rc t0 ms deadline
	# Bounded: timeout kills it after 60 s.
	timeout -s KILL 60 "$QUAIL" fetch "--$proto" "$url" --user alice --password-command "echo $FX_PASSWORD" \
		--ca-file "$FX_CA" --timeout 20 -o "$out" -q >"$FX_DIR/int.out" 2>"$FX_DIR/int.err" \
		</dev/null &
	pid=$!
	deadline=$((SECONDS + 30))
	while fx__alive "$pid" && [ "$(im_count "$out")" -lt 20 ] && ((SECONDS < deadline)); do
		sleep 0.01
	done
	if ! fx__alive "$pid"; then
		wait "$pid"
		fx_fail "$desc: the fetch was still running when interrupted" \
			"it ended with $? first: $(cat "$FX_DIR/int.err")"
		return
	fi
	# To quail itself: timeout passes a signal on twice (to quail, then to
	# its process group), and a second SIGINT rightly kills.
	local q
	q=$(pgrep -P "$pid" -x quail)
	t0=${EPOCHREALTIME//[.,]/}
	kill -"$sig" "$q"
	wait "$pid"
	rc=$?
	ms=$(((${EPOCHREALTIME//[.,]/} - t0) / 1000))
	fx_diag "$desc: ended $ms ms after SIG$sig with $(im_count "$out") of 1500 stored"
	fx_is "$rc" 75 "$desc: exit 75"
	fx_check "$desc: ended within a second (${ms} ms)" test "$ms" -lt 1000
	fx_like "$(cat "$FX_DIR/int.out")" '^fetched [0-9]+ messages \([0-9]+ bytes\) from [0-9]+ folders$' \
		"$desc: prints how far it got"
	fx_is "$(cat "$FX_DIR/int.err")" "quail: fetch: canceled" "$desc: one line says canceled"
	local n
	n=$(sed -n 's/^fetched \([0-9]*\) messages.*/\1/p' "$FX_DIR/int.out")
	fx_check "$desc: stopped mid-download ($n stored)" test "${n:-0}" -gt 0 -a "${n:-0}" -lt 1500
	local dup
	dup=$(im_sums "$out" | uniq -d | wc -l)
	fx_is "$dup" 0 "$desc: nothing stored twice"
	fx_is "$(comm -13 <(want | sort -u) <(im_sums "$out" | sort -u) | wc -l)" 0 \
		"$desc: nothing partial in new/ or cur/"
}

# twice DESC URL OUT: once the first Ctrl-C has been taken as a cancel, a
# second one ends quail at once, by the signal (the handler puts the
# default back), even when quail is stuck. To hold quail between the two
# without a race, its stderr is a pipe that is already full: after the
# cancel it prints its summary on stdout, then blocks writing "canceled"
# until the second SIGINT kills it.
twice() {
	local desc=$1 url=$2 out=$3 pid rc deadline fifo=$FX_DIR/full.fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	# Held open for reading and writing here, so quail's open does not
	# wait for a reader; then filled to the pipe's capacity.
	exec 3<>"$fifo"
	timeout -s KILL 2 cat /dev/zero >&3 2>/dev/null
	timeout -s KILL 60 "$QUAIL" fetch --imap "$url" --user alice \
		--password-command "echo $FX_PASSWORD" --ca-file "$FX_CA" --timeout 20 -o "$out" -q \
		>"$FX_DIR/int.out" 2>"$fifo" </dev/null &
	pid=$!
	deadline=$((SECONDS + 30))
	while fx__alive "$pid" && [ "$(im_count "$out")" -lt 20 ] && ((SECONDS < deadline)); do
		sleep 0.01
	done
	# To quail itself: timeout would pass on only the first.
	local q
	q=$(pgrep -P "$pid" -x quail)
	kill -INT "$q"
	# The first has been taken as a cancel once the summary is out.
	deadline=$((SECONDS + 10))
	while fx__alive "$pid" && ! grep -q '^fetched' "$FX_DIR/int.out" && ((SECONDS < deadline)); do
		sleep 0.01
	done
	fx_like "$(cat "$FX_DIR/int.out")" '^fetched [0-9]+ messages' "$desc: the first was taken as a cancel"
	sleep 0.2
	fx_check "$desc: still there after it, blocked on its full stderr" fx__alive "$pid"
	kill -INT "$q" 2>/dev/null
	wait "$pid"
	rc=$?
	exec 3>&-
	# 130: killed by SIGINT (75 would mean it ended on its own).
	fx_is "$rc" 130 "$desc: killed by the second SIGINT"
}

# complete DESC ARGS...: the next run, to the end
complete() {
	local desc=$1 out=$2
	shift 2
	fx_run -t 120 "$QUAIL" fetch "$@" --user alice --password-command "echo $FX_PASSWORD" \
		--ca-file "$FX_CA" --timeout 20 -o "$out" -q
	fx_is "$FX_RC" 0 "$desc: the next run completes"
	fx_check "$desc: every message stored exactly once" test "$(im_sums "$out")" = "$(want)"
	fx_is "$(im_count "$out")" 1500 "$desc: 1500 files"
}

imap=imaps://127.0.0.1:$FX_IMAPS_PORT
pop3=pop3s://127.0.0.1:$FX_POP3S_PORT
interrupt INT "imap, Ctrl-C" imap "$imap" "$FX_DIR/imap"
complete "imap, Ctrl-C" "$FX_DIR/imap" --imap "$imap"
interrupt TERM "imap, SIGTERM" imap "$imap" "$FX_DIR/imap2"
complete "imap, SIGTERM" "$FX_DIR/imap2" --imap "$imap"
twice "imap, Ctrl-C twice" "$imap" "$FX_DIR/imap3"
complete "imap, Ctrl-C twice" "$FX_DIR/imap3" --imap "$imap"
# POP3 delivers into the Maildir itself.
interrupt INT "pop3, Ctrl-C" pop3 "$pop3" "$FX_DIR/pop3"
complete "pop3, Ctrl-C" "$FX_DIR/pop3" --pop3 "$pop3"

fx_done
