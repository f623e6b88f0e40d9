#!/bin/bash
# Writing mail end to end: a reply made by the engine (app_compose_reply)
# to a message sent to one of the account's alternates, sent through the
# fixture's Postfix (STARTTLS, AUTH). Checks the bytes delivered to bob
# (From is the alternate with the account's name, In-Reply-To, References,
# the quoted text, the attribution), the local Sent copy (the account has
# no IMAP), and that the replied file gets R only once the send succeeded.
# Needs root (Postfix), dovecot, openssl and python3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/send-common.sh"

[ -n "${COMPOSE_DRIVER:-}" ] && [ -x "$COMPOSE_DRIVER" ] || fx_skip_all "COMPOSE_DRIVER is not set"
fx_need_cmd openssl dovecot
fx_need_postfix
send_need_python
fx_init
fx_certs
fx_dovecot_start
# shellcheck disable=SC2086
fx_postfix_start $FX_ALL_MECHS
D=$FX_DOMAIN
SUB="smtp://127.0.0.1:$FX_SUBMISSION_PORT"

# The message replied to, in alice's local Maildir.
box=$FX_DIR/mail/t/INBOX
mkdir -p "$box/cur" "$box/new" "$box/tmp"
parent="$box/cur/1700000000.M1P1.host:2,S"
cat >"$parent" <<MSG
From: Bob Builder <bob@$D>
To: Alice at Work <alice.work@$D>
Subject: =?UTF-8?B?5bel5L2c6K6h5YiS?=
Date: Tue, 1 Dec 2026 10:00:00 +0100
Message-ID: <parent@$D>
References: <root@$D>
In-Reply-To: <root@$D>
Content-Type: text/plain; charset=utf-8; format=flowed

The plan for next \r
week is ready.
> older words

-- 
Bob
MSG
sed -i 's/\\r$//' "$parent"

# A server that is not there: the send fails and the file keeps its name.
send_config "$FX_DIR/down.conf" "smtp://127.0.0.1:$(fx_free_ports 1)" \
	"alternates=alice.work@$D"
fx_run -t 60 "$COMPOSE_DRIVER" "$FX_DIR/down.conf" "$parent"
fx_is "$FX_RC" 75 "no server: the send fails for now (exit 75)"
fx_check "no server: the replied file has no R" test -f "$parent"

send_config "$FX_DIR/quail.conf" "$SUB" "alternates=alice.work@$D"
fx_run -t 60 "$COMPOSE_DRIVER" "$FX_DIR/quail.conf" "$parent" "Sounds good."
fx_is "$FX_RC" 0 "the reply was sent"
fx_like "$FX_OUT" "^sent via t$" "through the account of the alternate"
fx_check "the replied file no longer has its old name" test ! -e "$parent"
replied=$(find "$box/cur" -type f -name '1700000000.M1P1.host:2,RS')
fx_check "the replied file now has R (and keeps S)" test -n "$replied"
bob=$(fx_maildir_wait bob 1 20 | tail -n 1)
fx_check "bob got the reply" test -n "$bob"
hdr=$(sed '/^\r\{0,1\}$/q' "$bob" | tr -d '\r')
fx_like "$hdr" "^From: Alice <alice\.work@$D>$" "From is the alternate with the account's name"
fx_like "$hdr" "^In-Reply-To: <parent@$D>$" "In-Reply-To is the parent's Message-ID"
fx_like "$hdr" "^References: <root@$D> <parent@$D>$" "References: the parent's, then its Message-ID"
fx_like "$hdr" "^To: Bob Builder <bob@$D>$" "To is the parent's From"
fx_unlike "$hdr" "^Sender:" "no Sender for an alternate of the account"
spec=$(python3 -c 'import json,sys; d=sys.argv[1]; print(json.dumps({
 "subject": "Re: 工作计划",
 "from": ["Alice", "alice.work@" + d],
 "to": [["Bob Builder", "bob@" + d]],
 "text": "Sounds good.\n\nOn Tue, 1 Dec 2026 10:00:00 +0100, Bob Builder wrote:\n> The plan for next week is ready.\n>> older words\n"}))' "$D")
send_ok "the delivered reply: subject, quote (flowed text unwrapped, signature left out)" "$bob" "$spec"
sent=$(find "$FX_DIR/mail/t/Sent/cur" -type f -name '*:2,S' 2>/dev/null | head -n 1)
fx_check "a local Sent copy with S (no IMAP)" test -n "$sent"
fx_like "$(tr -d '\r' <"$sent")" "^In-Reply-To: <parent@$D>$" "the Sent copy is the message sent"

# Bounce bob's copy to alice: Resent-* prepended, the rest unchanged, and
# only alice (the envelope) gets it, not the To of the message (bob).
fx_run -t 60 "$COMPOSE_DRIVER" --bounce "$FX_DIR/quail.conf" "$bob" "Alice <alice@$D>"
fx_is "$FX_RC" 0 "the bounce was sent"
alice=$(fx_maildir_wait alice 1 20 | tail -n 1)
fx_check "alice got the bounce" test -n "$alice"
got=$(tr -d '\r' <"$alice")
fx_like "$got" "^Resent-From: alice@$D$" "Resent-From is the account's address"
fx_like "$got" "^Resent-To: alice@$D$" "Resent-To is the new recipient"
fx_like "$got" "^Resent-Message-ID: <[0-9a-f]+\.resent@$D>$" "a Resent-Message-ID"
fx_like "$got" "^Resent-Date: " "a Resent-Date"
orig=$(tr -d '\r' <"$bob")
fx_check "the bounced message's body is the original's" \
	test "$(printf '%s\n' "$got" | sed '1,/^$/d')" = "$(printf '%s\n' "$orig" | sed '1,/^$/d')"
sleep 2
fx_is "$(find "$(fx_maildir bob)"/new "$(fx_maildir bob)"/cur -type f | wc -l)" 1 \
	"bob (the message's To) did not get the bounce"

# Postponed (with a Bcc), recalled, sent: the draft's file goes, and what
# arrives holds none of quail's own fields; the Bcc (alice) gets it too.
fx_run -t 60 "$COMPOSE_DRIVER" --postponed "$FX_DIR/quail.conf" "$replied"
fx_is "$FX_RC" 0 "a recalled draft was sent"
draft=$(printf '%s\n' "$FX_OUT" | sed -n 's/^postponed //p')
fx_like "$draft" "/mail/t/Drafts/cur/.*:2,DS$" "it was postponed to =Drafts with D"
fx_check "the sent draft was removed from =Drafts" test ! -e "$draft"
bob2=$(fx_maildir_wait bob 2 20 | tail -n 1)
fx_check "bob got the recalled reply" test -n "$bob2"
fx_unlike "$(cat "$bob2")" "^X-Quail|^Bcc:" "no X-Quail-* nor Bcc field in what was sent"
fx_like "$(tr -d '\r' <"$bob2")" "^In-Reply-To: <parent@$D>$" "In-Reply-To kept across postpone"
fx_check "the Bcc recipient got it" test -n "$(fx_maildir_wait alice 2 20 | tail -n 1)"
fx_done
