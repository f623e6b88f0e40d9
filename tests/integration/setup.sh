#!/bin/bash
# quail setup against Dovecot (IMAP, POP3) and Postfix (SMTP) on loopback:
# - non-interactive (everything as options, no terminal): the login is
#   checked and the account block written, the file's bytes and mode exact;
# - an existing file keeps every other byte, an existing account is only
#   replaced with --yes;
# - a wrong password: exit 77, a clear message, nothing written;
# - interactive on a pseudo-terminal (setup_pty.py): the prompts answered,
#   the password not echoed, stored only when asked for, the file 0600;
# - what was written is shown, a stored password masked;
# - --non-interactive asks nothing even with a terminal;
# - Ctrl-C at a prompt (twice at the password, echo off): exit 75, no
#   file, the terminal's echo back on;
# - Ctrl-Z at the password: echo on while stopped (also after bg), off
#   again after fg;
# - password_command runs once although two logins are checked.
# The domain example.test has no preset and the servers are given as URLs,
# so no DNS query leaves the machine. Needs root (Postfix).
. "$(dirname "$0")/lib.sh"

fx_need_quail
"$QUAIL" setup --help >/dev/null 2>&1 || fx_skip_all "$QUAIL has no setup command"
fx_need_cmd openssl dovecot python3 setsid
fx_need_postfix
fx_init
fx_certs
fx_dovecot_start
fx_postfix_start

PTY=$(dirname "$0")/setup_pty.py
IMAPS=imaps://127.0.0.1:$FX_IMAPS_PORT
POP3S=pop3s://127.0.0.1:$FX_POP3S_PORT
SMTPS=smtps://127.0.0.1:$FX_SMTPS_PORT
SUBMISSION=smtp://127.0.0.1:$FX_SUBMISSION_PORT
CFGDIR=$FX_DIR/home/.config/quail
CFG=$CFGDIR/config

# setup ARGS...: quail setup without a controlling terminal
setup() {
	fx_run -t 60 setsid -w "$QUAIL" setup --config "$CFG" --ca-file "$FX_CA" --timeout 10 "$@"
}

mode_of() { stat -c %a "$1"; }

# --- a new file, non-interactive ---------------------------------------------
setup alice@example.test --account work --imap "$IMAPS" --smtp "$SMTPS" --user alice \
	--password-command "echo $FX_PASSWORD"
fx_is "$FX_RC" 0 "new file: exit 0"
fx_like "$FX_OUT" "^added \\[account work\\] in $CFG\$" "new file: says what it wrote"
fx_like "$FX_ERR" "^setup: login ok $IMAPS\$" "new file: IMAP login checked"
fx_like "$FX_ERR" "^setup: login ok $SMTPS\$" "new file: SMTP login checked"
expected="[account work]
from = alice@example.test
imap = $IMAPS
smtp = $SMTPS
user = alice
password_command = echo $FX_PASSWORD
ca_file = $FX_CA"
printf '%s\n' "$expected" >"$FX_DIR/expected1"
fx_check "new file: the bytes written" cmp "$FX_DIR/expected1" "$CFG"
fx_is "$(printf '%s\n' "$FX_OUT" | sed 1d)" "$expected" "new file: the block written is shown"
fx_is "$(mode_of "$CFG")" 600 "new file: mode 0600"
fx_is "$(mode_of "$CFGDIR")" 700 "new file: its directory made 0700"
fx_run -t 40 "$QUAIL" serverinfo --config "$CFG" --account work --protocol imap --login
fx_is "$FX_RC" 0 "the account written works for serverinfo --login"
fx_no_password "no password in the file when a command gives it" "$(grep -v '^password_command' "$CFG")"

# --- password_command runs once for both logins ----------------------------------
# The check logs in to IMAP and to SMTP; a command that asks for a
# passphrase must not ask twice. Each run appends a line to the counter.
setup alice@example.test --account once --imap "$IMAPS" --smtp "$SMTPS" --user alice \
	--password-command "echo run >>'$FX_DIR/pw-runs'; echo $FX_PASSWORD" --config "$FX_DIR/once/config"
fx_is "$FX_RC" 0 "password_command once: exit 0"
fx_like "$FX_ERR" "^setup: login ok $SMTPS\$" "password_command once: both logins checked"
fx_is "$(wc -l <"$FX_DIR/pw-runs" 2>/dev/null)" 1 "password_command once: run one time for two logins"

# --- an existing file: appended, the rest byte for byte -----------------------
orig="; my mail
[general]
default_account = old   ; the first one

[account old]
from = Old <old@example.test>
smtp = smtps://127.0.0.1:1
user = old
password_command = false
# no newline at the end"
printf '%s' "$orig" >"$CFG"
chmod 640 "$CFG"
setup alice@example.test --imap "$IMAPS" --smtp "$SMTPS" --user alice \
	--password-command "echo $FX_PASSWORD"
fx_is "$FX_RC" 0 "append: exit 0"
fx_like "$FX_OUT" "^added \\[account example\\]" "append: the name defaults to the domain's first label"
printf '%s\n\n%s\n' "$orig" "${expected/\[account work\]/[account example]}" >"$FX_DIR/expected2"
fx_check "append: the old bytes kept, the block appended after a newline" \
	cmp "$FX_DIR/expected2" "$CFG"
fx_is "$(mode_of "$CFG")" 640 "append: the file keeps its mode"
cp "$CFG" "$FX_DIR/before-replace"

# --- replace only with --yes -----------------------------------------------------
setup alice@example.test --account old --pop3 "$POP3S" --smtp "$SUBMISSION" --user alice \
	--password-command "echo $FX_PASSWORD"
fx_is "$FX_RC" 78 "existing account without --yes: exit 78"
fx_like "$FX_ERR" 'exists: --yes replaces it' "existing account without --yes: says why"
fx_check "existing account without --yes: file unchanged" cmp "$FX_DIR/before-replace" "$CFG"
setup alice@example.test --account old --pop3 "$POP3S" --smtp "$SUBMISSION" --user alice \
	--password-command "echo $FX_PASSWORD" --yes
fx_is "$FX_RC" 0 "replace with --yes: exit 0"
fx_like "$FX_ERR" "^setup: login ok $POP3S\$" "replace: POP3 login checked"
fx_like "$FX_ERR" "^setup: login ok $SUBMISSION\$" "replace: SMTP STARTTLS login checked"
block3="[account old]
from = alice@example.test
pop3 = $POP3S
smtp = $SUBMISSION
user = alice
password_command = echo $FX_PASSWORD
ca_file = $FX_CA"
# The old section ran up to [account example] with a blank line before
# it; the new one takes its place and the blank line stays.
{
	printf '%s\n' "; my mail" "[general]" "default_account = old   ; the first one" ""
	printf '%s\n' "$block3" ""
} >"$FX_DIR/expected3"
# [account example] followed [account old], so it must still be there.
sed -n '/^\[account example\]/,$p' "$FX_DIR/before-replace" >>"$FX_DIR/expected3.tail"
fx_check "replace: the section replaced in place, the others unchanged" \
	bash -c "sed '/^\\[account example\\]/,\$d' '$CFG' | cmp - '$FX_DIR/expected3' &&
		sed -n '/^\\[account example\\]/,\$p' '$CFG' | cmp - '$FX_DIR/expected3.tail'"
cp "$CFG" "$FX_DIR/before-wrong"

# --- a wrong password: nothing written -------------------------------------------
setup alice@example.test --account bad --imap "$IMAPS" --smtp "$SMTPS" --user alice \
	--password-command "echo wrong-$$"
fx_is "$FX_RC" 77 "wrong password: exit 77"
fx_like "$(printf '%s\n' "$FX_ERR" | tail -n 1)" "^quail: $IMAPS: .+" "wrong password: names the server"
fx_check "wrong password: file unchanged" cmp "$FX_DIR/before-wrong" "$CFG"
setup alice@example.test --account bad --imap "$IMAPS" --smtp "$SMTPS" --user alice \
	--password-command "echo wrong-$$" --config "$FX_DIR/new/config"
fx_is "$FX_RC" 77 "wrong password, new file: exit 77"
fx_check "wrong password, new file: nothing created" test ! -e "$FX_DIR/new"

# --- no terminal and no secret: a usage error -------------------------------------
setup alice@example.test --account t --imap "$IMAPS" --smtp "$SMTPS" --user alice
fx_is "$FX_RC" 64 "no terminal, no --password-command: exit 64"
fx_like "$FX_ERR" 'no terminal to ask on' "no terminal: says why"

# --- interactive, on a pseudo-terminal ---------------------------------------------
ICFG=$FX_DIR/pty/config
# A 163.com address: its preset gives the servers (no lookup leaves the
# machine), which the answers then replace with the local ones. alice's
# password is "secret"; typed, it must not be echoed.
cat >"$FX_DIR/script" <<EOF
Mail address: \$
Alice <alice@163.com>
Account name \\[163\\]: \$

Incoming: imaps://imap\\.163\\.com\r?\nOutgoing: smtps://smtp\\.163\\.com\r?\nUse these servers\\? \\[Y/n\\]: \$
n
Incoming server URL .*\\[imaps://imap\\.163\\.com\\]: \$
$POP3S
Outgoing server URL .*\\[smtps://smtp\\.163\\.com\\]: \$
$SMTPS
Password command \\(empty: type the password\\): \$

Authorization code: \$
$FX_PASSWORD
Store the password in the config file \\(mode 0600\\)\\? \\[y/N\\]: \$
y
EOF
fx_run -t 90 python3 "$PTY" "$FX_DIR/script" "$FX_DIR/transcript" -- "$QUAIL" setup \
	--config "$ICFG" --ca-file "$FX_CA" --timeout 10 --user alice
fx_is "$FX_RC" 0 "pty: exit 0"
fx_like "$(tr -d '\r' <"$FX_DIR/transcript")" "^added \\[account 163\\] in $ICFG\$" "pty: says what it wrote"
fx_like "$(cat "$FX_DIR/transcript")" '客户端授权码' "pty: 163.com: says an authorization code is needed"
fx_check "pty: the password was not echoed" bash -c "! grep -aqF -- '$FX_PASSWORD' '$FX_DIR/transcript'"
printf '%s\n' "[account 163]" "from = Alice <alice@163.com>" "pop3 = $POP3S" \
	"smtp = $SMTPS" "user = alice" "password = $FX_PASSWORD" "ca_file = $FX_CA" >"$FX_DIR/expected4"
fx_check "pty: the bytes written (password stored on request)" cmp "$FX_DIR/expected4" "$ICFG"
fx_like "$(tr -d '\r' <"$FX_DIR/transcript")" '^password = \*{8}$' "pty: the block shown, password masked"
fx_like "$(tr -d '\r' <"$FX_DIR/transcript")" "^pop3 = $POP3S\$" "pty: the block shown, servers"
fx_is "$(mode_of "$ICFG")" 600 "pty: mode 0600"
fx_run -t 40 "$QUAIL" serverinfo --config "$ICFG" --protocol pop3 --login
fx_is "$FX_RC" 0 "pty: the stored password works"

# Declining to store it: the account is written without a secret.
sed -i 's/^y$/n/' "$FX_DIR/script"
fx_run -t 90 python3 "$PTY" "$FX_DIR/script" "$FX_DIR/transcript2" -- "$QUAIL" setup \
	--config "$FX_DIR/pty2/config" --ca-file "$FX_CA" --timeout 10 --user alice
fx_is "$FX_RC" 0 "pty, not stored: exit 0"
fx_check "pty, not stored: no password in the file" \
	bash -c "! grep -q '^password' '$FX_DIR/pty2/config'"
fx_like "$(tr -d '\r' <"$FX_DIR/transcript2")" 'password was not stored' "pty, not stored: says so"

# --- --non-interactive: a terminal is there, nothing is asked ------------------------
: >"$FX_DIR/script-none"
fx_run -t 60 python3 "$PTY" "$FX_DIR/script-none" "$FX_DIR/transcript3" -- "$QUAIL" setup \
	--non-interactive --config "$FX_DIR/ni/config" --ca-file "$FX_CA" --timeout 10 \
	--imap "$IMAPS" --smtp "$SMTPS" --user alice alice@example.test
fx_is "$FX_RC" 64 "--non-interactive, no secret given: exit 64"
fx_like "$(tr -d '\r' <"$FX_DIR/transcript3")" 'non-interactive: give --password-command' \
	"--non-interactive: says what to give"
fx_unlike "$(cat "$FX_DIR/transcript3")" 'Password|Account name' "--non-interactive: no prompt shown"
fx_check "--non-interactive, usage error: nothing written" test ! -e "$FX_DIR/ni"
fx_run -t 60 python3 "$PTY" "$FX_DIR/script-none" "$FX_DIR/transcript4" -- "$QUAIL" setup \
	--non-interactive --config "$FX_DIR/ni/config" --ca-file "$FX_CA" --timeout 10 \
	--imap "$IMAPS" --smtp "$SMTPS" --user alice --password-command "echo $FX_PASSWORD" \
	alice@example.test
fx_is "$FX_RC" 0 "--non-interactive, everything given: exit 0 on a terminal"
fx_like "$(tr -d '\r' <"$FX_DIR/transcript4")" "^added \\[account example\\] in $FX_DIR/ni/config\$" \
	"--non-interactive: the account name defaults without asking"

# --- Ctrl-C at a prompt: no file, echo restored -------------------------------------
# ctrl_c NAME SCRIPT: runs setup on a pty with SCRIPT; checks the result.
ctrl_c() {
	fx_run -t 60 python3 "$PTY" "$2" "$FX_DIR/transcript-$1" -- "$QUAIL" setup \
		--config "$FX_DIR/cc-$1/config" --ca-file "$FX_CA" --timeout 10 \
		--imap "$IMAPS" --smtp "$SMTPS" --user alice
	fx_is "$FX_RC" 75 "Ctrl-C at $1: exit 75 (interrupted, not killed)"
	fx_check "Ctrl-C at $1: nothing written" test ! -e "$FX_DIR/cc-$1"
	fx_is "$(cat "$FX_DIR/transcript-$1.echo")" "echo on" "Ctrl-C at $1: the terminal echoes"
}
printf '%s\n' 'Mail address: $' 'alice@example.test' 'Account name \[example\]: $' '<ctrl-c>' \
	>"$FX_DIR/script-cc1"
ctrl_c name "$FX_DIR/script-cc1"
# Two at once while echo is off: the first one's handler is reset on
# delivery, so the second would kill quail with the terminal silent.
printf '%s\n' 'Mail address: $' 'alice@example.test' 'Account name \[example\]: $' '' \
	'Password command \(empty: type the password\): $' '' 'Password: $' '<ctrl-c><ctrl-c>' \
	>"$FX_DIR/script-cc2"
ctrl_c password "$FX_DIR/script-cc2"

# --- Ctrl-Z at the password (echo off), then fg (and bg) -----------------------------
# While quail is stopped the shell owns the terminal: echo must be on.
# After fg echo is off again and the prompt shown again; the password
# typed then is not echoed and is the one stored. After bg quail must not
# wait with echo on: its read stops it (SIGTTIN) until fg.
# ctrl_z NAME ACTIONS JOBS: Ctrl-Z at the password, then ACTIONS.
ctrl_z() {
	printf '%s\n' 'Mail address: $' 'alice@example.test' 'Account name \[example\]: $' '' \
		'Password command \(empty: type the password\): $' '' 'Password: $' "$2" \
		'Password: $' "<echo?>$FX_PASSWORD" \
		'Store the password in the config file \(mode 0600\)\? \[y/N\]: $' 'y' \
		>"$FX_DIR/script-$1"
	fx_run -t 90 python3 "$PTY" "$FX_DIR/script-$1" "$FX_DIR/transcript-$1" -- "$QUAIL" setup \
		--config "$FX_DIR/$1/config" --ca-file "$FX_CA" --timeout 10 \
		--imap "$IMAPS" --smtp "$SMTPS" --user alice
	fx_is "$FX_RC" 0 "$1: exit 0 after fg"
	fx_is "$(cat "$FX_DIR/transcript-$1.jobs")" "$3" "$1: echo on while stopped, off after fg"
	fx_check "$1: the password typed after fg was not echoed" \
		bash -c "! grep -aqF -- '$FX_PASSWORD' '$FX_DIR/transcript-$1'"
	fx_check "$1: the password typed after fg is the one stored" \
		grep -qx "password = $FX_PASSWORD" "$FX_DIR/$1/config"
	fx_is "$(cat "$FX_DIR/transcript-$1.echo")" "echo on" "$1: the terminal echoes at the end"
}
ctrl_z ctrl-z-fg '<ctrl-z><fg>' "stopped (SIGTSTP): echo on
echo off"
ctrl_z ctrl-z-bg-fg '<ctrl-z><bg><fg>' "stopped (SIGTSTP): echo on
stopped in the background (SIGTTIN): echo on
echo off"

fx_done
