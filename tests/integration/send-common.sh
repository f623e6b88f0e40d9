# shellcheck shell=bash
# Helpers for the quail send tests (send-*.sh); source after lib.sh.
#
#   send_need_python          skip unless python3 with the email package
#   send_files DIR            test files: a PNG, a PDF, random bytes, a file
#                             with a Chinese name, an HTML page, a 1 MB blob
#   send_config FILE URL [KEY=VALUE...]   an account "t" for alice
#   send_check FILE SPEC      parse FILE with Python's email package and
#                             compare with SPEC (JSON, see below); prints
#                             what differs and returns 1
#   send_body_of FILE         the body of a stored message (after the header)
#   compose_ui_servers, compose_ui_config URL [KEY=VALUE...]
#                             set-up of the UI's compose tests (compose-ui*.sh)

send_need_python() {
	command -v python3 >/dev/null 2>&1 || fx_skip_all "python3 not installed"
	python3 -c 'import email.policy' 2>/dev/null || fx_skip_all "python3 has no email package"
}

send_files() { # DIR
	local d=$1
	mkdir -p "$d"
	python3 - "$d" <<-'PY'
		import os, random, struct, sys, zlib
		d = sys.argv[1]
		# Fixed bytes, not os.urandom: random bytes can begin with a magic
		# number (b'MZ' makes libmagic say application/x-dosexec).
		rnd = random.Random(2019)
		def chunk(t, b):
		    return struct.pack('>I', len(b)) + t + b + struct.pack('>I', zlib.crc32(t + b) & 0xffffffff)
		raw = b''.join(b'\x00' + bytes((x * 7 + y) & 255 for x in range(16 * 3)) for y in range(16))
		png = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 16, 16, 8, 2, 0, 0, 0))
		       + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
		open(os.path.join(d, 'logo.png'), 'wb').write(png)
		open(os.path.join(d, 'chart.png'), 'wb').write(png[:-12] + chunk(b'tEXt', b'c\x00x') + png[-12:])
		open(os.path.join(d, 'report.pdf'), 'wb').write(
		    b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n' + rnd.randbytes(3000) + b'\n%%EOF\n')
		open(os.path.join(d, 'random.bin'), 'wb').write(b'\x00\xffquail test data\x00' + rnd.randbytes(100000))
		open(os.path.join(d, '测试文档 第一季度 报告 with a long name.doc'), 'wb').write(
		    b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1' + rnd.randbytes(5000))
		open(os.path.join(d, 'data.csv'), 'wb').write('名字,数量\n苹果,3\n'.encode() * 50)
		open(os.path.join(d, 'empty.txt'), 'wb').write(b'')
		open(os.path.join(d, 'page.html'), 'w').write(
		    '<html><body><h1>2019请关注我的博客</h1><p><img src="cid:logo.png">'
		    '<img src="cid:chart.png"></p><p>' + 'long line of html ' * 20 + '</p></body></html>\n')
		open(os.path.join(d, 'big.bin'), 'wb').write(b'\x00\xffquail test data\x00' + rnd.randbytes(1 << 20))
	PY
}

send_config() { # FILE URL [KEY=VALUE...]
	local f=$1 url=$2 kv
	shift 2
	{
		echo "[general]"
		echo "default_account = t"
		echo "maildir = $FX_DIR/mail"
		echo "[account t]"
		echo "from = Alice <alice@$FX_DOMAIN>"
		echo "smtp = $url"
		echo "user = alice"
		echo "password_command = echo $FX_PASSWORD"
		echo "ca_file = $FX_CA"
		for kv in "$@"; do
			echo "${kv%%=*} = ${kv#*=}"
		done
	} >"$f"
	chmod 600 "$f"
}

# SPEC keys (all optional):
#   tree        "mixed(related(alternative(text/plain,text/html),image/png),application/pdf)"
#   subject     decoded Subject
#   from        [name, address] of the first From
#   to, cc      [[name, address], ...]
#   absent      header names that must not be there ("Bcc")
#   text        the text/plain part, CRLF and CR as LF
#   html        path of the file the text/html part must equal
#   attachments [[filename, path], ...] in order: bytes must be identical
#   inline      [[content-id without <>, path], ...]
#   lines78     true: no line of the file is longer than 78 characters
#   body_raw    the whole body after the header must be this (LF line ends)
send_check() { # FILE SPEC
	python3 - "$1" "$2" <<-'PY'
		import email, email.policy, json, sys
		path, spec = sys.argv[1], json.loads(sys.argv[2])
		data = open(path, 'rb').read()
		m = email.message_from_bytes(data, policy=email.policy.default)
		bad = []
		def tree(p):
		    if p.is_multipart():
		        return p.get_content_subtype() + '(' + ','.join(tree(c) for c in p.iter_parts()) + ')'
		    return p.get_content_type()
		def lf(b):
		    return b.replace(b'\r\n', b'\n').replace(b'\r', b'\n')
		if 'tree' in spec and tree(m) != spec['tree']:
		    bad.append('tree %s, want %s' % (tree(m), spec['tree']))
		if 'subject' in spec and m['subject'] != spec['subject']:
		    bad.append('subject %r, want %r' % (m['subject'], spec['subject']))
		def addrs(h):
		    return [[a.display_name, a.addr_spec] for a in (m[h].addresses if m[h] else ())]
		if 'from' in spec and addrs('from')[:1] != [spec['from']]:
		    bad.append('from %r, want %r' % (addrs('from'), spec['from']))
		for h in ('to', 'cc'):
		    if h in spec and addrs(h) != spec[h]:
		        bad.append('%s %r, want %r' % (h, addrs(h), spec[h]))
		for h in spec.get('absent', []):
		    if m[h] is not None or (h.encode().lower() + b':') in data.lower():
		        bad.append('header %s is there' % h)
		leaves = [p for p in m.walk() if not p.is_multipart()]
		texts = [p for p in leaves if p.get_content_type() == 'text/plain' and p.get_content_disposition() is None]
		if 'text' in spec:
		    got = lf(texts[0].get_payload(decode=True)).decode('utf-8') if texts else None
		    if got != spec['text']:
		        bad.append('text %r, want %r' % (got, spec['text']))
		if 'html' in spec:
		    hs = [p for p in leaves if p.get_content_type() == 'text/html']
		    want = lf(open(spec['html'], 'rb').read())
		    if not hs or lf(hs[0].get_payload(decode=True)) != want:
		        bad.append('html differs')
		atts = [p for p in leaves if p.get_content_disposition() == 'attachment']
		if 'attachments' in spec:
		    if len(atts) != len(spec['attachments']):
		        bad.append('%d attachments, want %d' % (len(atts), len(spec['attachments'])))
		    for p, (name, src) in zip(atts, spec['attachments']):
		        if p.get_filename() != name:
		            bad.append('file name %r, want %r' % (p.get_filename(), name))
		        if p.get_payload(decode=True) != open(src, 'rb').read():
		            bad.append('attachment %s: bytes differ' % name)
		if 'inline' in spec:
		    inl = [p for p in leaves if p.get_content_disposition() == 'inline']
		    if len(inl) != len(spec['inline']):
		        bad.append('%d inline parts, want %d' % (len(inl), len(spec['inline'])))
		    for p, (cid, src) in zip(inl, spec['inline']):
		        if p['content-id'] != '<%s>' % cid:
		            bad.append('content-id %r, want <%s>' % (p['content-id'], cid))
		        if p.get_payload(decode=True) != open(src, 'rb').read():
		            bad.append('inline %s: bytes differ' % cid)
		if spec.get('lines78'):
		    for i, l in enumerate(data.split(b'\n')):
		        if len(l.rstrip(b'\r')) > 78:
		            bad.append('line %d has %d characters' % (i + 1, len(l.rstrip(b'\r'))))
		            break
		if 'body_raw' in spec:
		    body = lf(data).split(b'\n\n', 1)[1]
		    if body != spec['body_raw'].encode():
		        bad.append('body %r, want %r' % (body, spec['body_raw']))
		for p in m.walk():
		    if p.defects:
		        bad.append('defects in %s: %r' % (p.get_content_type(), p.defects))
		for b in bad:
		    print(b)
		sys.exit(1 if bad else 0)
	PY
}

# send_ok DESC FILE SPEC: a TAP line for send_check
send_ok() {
	local out
	if out=$(send_check "$2" "$3" 2>&1); then
		fx_pass "$1"
	else
		fx_fail "$1" "$out"
	fi
}

# The compose tests of the curses UI (compose-ui*.sh): skip unless quail,
# Dovecot, Postfix, python3 and pyte are there, then start Dovecot and
# Postfix. Sets PY (the python3 to run pyte with), D (the mail domain) and
# UI (tests/ui, where fake_editor.py lives).
compose_ui_servers() {
	[ -n "${QUAIL:-}" ] && [ -x "$QUAIL" ] || fx_skip_all "QUAIL is not set"
	fx_need_cmd openssl dovecot
	fx_need_postfix
	send_need_python
	PY=python3
	[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
	"$PY" -c 'import pyte' 2>/dev/null || fx_skip_all "python3-pyte not installed"
	fx_init
	fx_certs
	fx_dovecot_start
	fx_postfix_start
	D=$FX_DOMAIN
	UI=$(cd "$(dirname "${BASH_SOURCE[0]}")/../ui" && pwd)
}

# compose_ui_config URL [KEY=VALUE...]: QUAIL_CONFIG sending to URL with
# the fake editor, and INBOX, an empty Maildir for the UI to open.
compose_ui_config() {
	send_config "$FX_DIR/quail.conf" "$@"
	printf '\n[ui]\neditor = %s\n' "$UI/fake_editor.py" >>"$FX_DIR/quail.conf"
	export QUAIL_CONFIG=$FX_DIR/quail.conf
	INBOX=$FX_DIR/mail/t/INBOX
	mkdir -p "$INBOX"/cur "$INBOX"/new "$INBOX"/tmp
}
