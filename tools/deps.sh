#!/bin/sh
# Obtain what the build needs: musl-gcc, and mini-XML 3.3.1's source tree.
# Usage: tools/deps.sh [--musl] [--mxml DEST]
# apt-get's output goes to build/deps.log ($DEPS_LOG); each step says what it
# runs in one line, and a failed step's output is shown in full.
# On Debian it installs musl-tools and fetches the `mxml` source package (with
# Debian's patches applied); elsewhere it says exactly what to install.
set -eu

MXML_VERSION=3.3.1
MXML_SHA256=83413d4dea692c27f94064cc7d5c0d5662e0905de54b8f5506bf4820f71bbcc0

say() { printf 'deps: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Package tools' output goes to a log; a one-line note says what runs, and a
# failure shows that step's output in full.
LOG=${DEPS_LOG:-build/deps.log}
case $LOG in /*) ;; *) LOG=$(pwd)/$LOG ;; esac
quiet() {  # quiet CMD...: run CMD with its output in the log
	mkdir -p "$(dirname "$LOG")"
	from=1
	[ -f "$LOG" ] && from=$(($(wc -l <"$LOG") + 1))
	printf '== %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$LOG"
	"$@" >>"$LOG" 2>&1 && return 0
	rc=$?
	say "failed (exit $rc): $*"
	tail -n +"$from" "$LOG" | sed 's/^/  | /' >&2
	say "(the whole output is in $LOG)"
	return "$rc"
}

is_debian() { [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo "$@"
	else die "need root to run: $*"; fi
}

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	say "apt-get update (output: $LOG)"
	quiet as_root apt-get update || die "apt-get update failed"
	apt_updated=1
}

need_musl() {
	command -v musl-gcc >/dev/null 2>&1 && return 0
	if is_debian; then
		apt_update
		say "installing musl-tools (musl-gcc) with apt-get (output: $LOG)"
		quiet as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y musl-tools ||
			die "apt-get install musl-tools failed"
	else
		die "musl-gcc not found: install musl's gcc wrapper (Debian/Ubuntu: musl-tools; Alpine: musl-dev; Fedora: musl-gcc) and run make again"
	fi
}

# Add a deb-src line beside each deb entry that lacks one, so that
# `apt-get source` works.
enable_deb_src() {
	if apt-get source --print-uris mxml >/dev/null 2>&1; then return 0; fi
	f=/etc/apt/sources.list.d/debian.sources
	if [ -f "$f" ] && grep -q '^Types: deb$' "$f"; then
		say "adding deb-src to $f"
		as_root sed -i 's/^Types: deb$/Types: deb deb-src/' "$f"
	elif [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
		say "adding deb-src lines to /etc/apt/sources.list"
		tmp=$(mktemp)
		sed -n 's/^deb \(.*\)$/deb-src \1/p' /etc/apt/sources.list >"$tmp"
		as_root sh -c "cat '$tmp' >> /etc/apt/sources.list"
		rm -f "$tmp"
	else
		die "no Debian deb entry found to pair a deb-src entry with"
	fi
	apt_updated=
	apt_update
}

need_mxml() {
	dest=$1
	[ -f "$dest/mxml.h" ] && return 0
	if ! is_debian; then
		die "mini-XML $MXML_VERSION source not found: download mxml-$MXML_VERSION.tar.gz from the mini-XML releases, unpack it, and run: make MXML_SRC=/path/to/mxml-$MXML_VERSION"
	fi
	command -v dpkg-source >/dev/null 2>&1 || {
		apt_update
		say "installing dpkg-dev and xz-utils with apt-get (output: $LOG)"
		quiet as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y dpkg-dev xz-utils ||
			die "apt-get install dpkg-dev failed"
	}
	apt_update
	enable_deb_src
	work=$(dirname "$dest")/mxml-fetch.$$
	rm -rf "$work"; mkdir -p "$work"
	say "fetching the mxml source package with apt-get source (output: $LOG)"
	(cd "$work" && quiet apt-get source mxml) || die "apt-get source mxml failed"
	tarball=$work/mxml_$MXML_VERSION.orig.tar.xz
	[ -f "$tarball" ] || die "apt-get source mxml did not bring mxml_$MXML_VERSION.orig.tar.xz (wrong Debian release?)"
	sum=$(sha256sum "$tarball" | cut -d' ' -f1)
	[ "$sum" = "$MXML_SHA256" ] || die "checksum mismatch for $tarball: got $sum, want $MXML_SHA256"
	src=$(find "$work" -maxdepth 1 -type d -name "mxml-$MXML_VERSION*" | head -n 1)
	[ -n "$src" ] && [ -f "$src/mxml.h" ] || die "unpacked mxml source not found in $work"
	rm -rf "$dest"
	mv "$src" "$dest"
	rm -rf "$work"
	say "mini-XML $MXML_VERSION source (checksum verified, Debian patches applied) in $dest"
}

while [ $# -gt 0 ]; do
	case $1 in
	--musl) need_musl ;;
	--mxml) need_mxml "$2"; shift ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
