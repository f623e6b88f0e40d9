#!/bin/sh
# Installs what quail needs to build and test on Debian 12 (bookworm).
# Runs apt-get only for packages that are missing; uses sudo when not root.
set -eu
# The last line (dpkg-dev, debhelper, lintian) builds and checks the Debian
# package in tools/deb-test.sh, which tools/test.sh runs; the one after it
# (libcurl on GnuTLS, json-c) is for auth = oauth2. dnsmasq-base (the server
# without the system service that would take port 53) and iproute2 serve
# tests/integration/setup-dns.sh: SRV records on 127.0.0.1.
pkgs="meson ninja-build pkg-config gcc clang libclang-rt-14-dev python3
libgnutls28-dev gnutls-bin libgsasl-dev libinih-dev zlib1g-dev libncurses-dev
libuchardet-dev libmagic-dev libidn2-dev libsqlite3-dev libxml2-dev check
scdoc man-db bash-completion zsh
dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix openssl python3-pyte isync time
libytnef0-dev
dpkg-dev debhelper lintian
libcurl4-gnutls-dev libjson-c-dev
dnsmasq-base iproute2"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# Postfix must not write a system configuration or start a system service:
# the tests run their own instance.
echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
$sudo apt-get update -q
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing
