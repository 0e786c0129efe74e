#!/bin/sh
# Obtain what the build and the tests need: musl-gcc, mini-XML 3.3.1's and
# llhttp 8.1.0's source trees, and Prometheus' two programs for the tests.
# Usage: tools/deps.sh [--musl] [--mxml DEST] [--llhttp DEST] [--prometheus DIR] [--tool NAME]
# apt-get's output goes to build/deps.log ($DEPS_LOG); each step says what it
# runs in one line, and a failed step's output is shown in full.
# On Debian it installs musl-tools and fetches the `mxml` source package (with
# Debian's patches applied); llhttp's C sources and Prometheus come out of
# their binary packages (`apt-get download` + `dpkg-deb -x`: nothing of Node or
# Prometheus is installed or started); elsewhere it says exactly what to get.
set -eu

MXML_VERSION=3.3.1
MXML_SHA256=83413d4dea692c27f94064cc7d5c0d5662e0905de54b8f5506bf4820f71bbcc0

# llhttp as Debian bookworm's node-llhttp ships it
# (8.1.0~5.15.0+dfsg1+~cs20.10.9.3-1+deb12u4): the four files we build, laid
# out as in upstream's release tarball (include/, src/), so that LLHTTP_SRC can
# also name an unpacked llhttp-release-v8.1.0.
LLHTTP_VERSION=8.1.0
LLHTTP_SHA256="\
d10cbae21267c5d08e0dac01c8584c799b50be7dddd0a0f3193d110922981c38  include/llhttp.h
6e5a4528cd67bb79c3b1c1e08bb8b4d9beeac4775877098d28be0a8f0d000897  src/api.c
c55eda50972fb150c093d54ba4a92921906f1f51ee60a6b1e0d13f5b9877f539  src/http.c
af384dc4a9e83b4b2ef8a658117a42afa1ee1585344563818ac730604e150f5f  src/llhttp.c"

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

# apt-get download PACKAGE into a fresh work directory $2; prints the .deb.
# (As root apt warns that it downloads unsandboxed: the directory is ours.)
deb_download() {
	rm -rf "$2"; mkdir -p "$2"
	apt_update
	say "apt-get download $1 (output: $LOG)"
	(cd "$2" && quiet apt-get download "$1") || die "apt-get download $1 failed"
	set -- "$2"/"$1"_*.deb
	[ -f "$1" ] || die "apt-get download brought no .deb"
	echo "$1"
}

need_llhttp() {
	dest=$1
	[ -f "$dest/include/llhttp.h" ] && return 0
	if ! is_debian; then
		die "llhttp $LLHTTP_VERSION source not found: download llhttp's release tarball (llhttp-release-v$LLHTTP_VERSION.tar.gz: include/llhttp.h, src/*.c), unpack it, and run: make LLHTTP_SRC=/path/to/it"
	fi
	work=$(dirname "$dest")/llhttp-fetch.$$
	say "fetching the node-llhttp package (its C sources only)"
	deb=$(deb_download node-llhttp "$work")
	dpkg-deb -x "$deb" "$work/x" || die "dpkg-deb -x $deb failed"
	mkdir -p "$work/tree/include" "$work/tree/src"
	cp "$work/x/usr/share/include/llhttp/llhttp.h" "$work/tree/include/" &&
		cp "$work/x/usr/share/llhttp/api.c" "$work/x/usr/share/llhttp/http.c" \
			"$work/x/usr/share/llhttp/llhttp.c" "$work/tree/src/" ||
		die "$deb does not hold llhttp's sources where expected (usr/share/llhttp, usr/share/include/llhttp)"
	(cd "$work/tree" && printf '%s\n' "$LLHTTP_SHA256" | sha256sum -c --quiet - >&2) ||
		die "checksum mismatch for llhttp's sources from $(basename "$deb"): want llhttp $LLHTTP_VERSION as in tools/deps.sh"
	{
		echo "llhttp $LLHTTP_VERSION, C sources of Debian's $(basename "$deb")"
		echo "deb sha256 $(sha256sum "$deb" | cut -d' ' -f1)"
		printf '%s\n' "$LLHTTP_SHA256"
	} >"$work/tree/SOURCE"
	rm -rf "$dest"
	mv "$work/tree" "$dest"
	rm -rf "$work"
	say "llhttp $LLHTTP_VERSION source (checksums verified) in $dest"
}

# promtool and prometheus from Debian's prometheus package into DIR, for the
# tests that check /metrics and scrape it; each must answer --version.
need_prometheus() {
	dir=$1
	if [ ! -x "$dir/promtool" ] || [ ! -x "$dir/prometheus" ]; then
		is_debian || die "promtool and prometheus not found in $dir: put both programs (from a Prometheus release) there"
		mkdir -p "$dir"
		work=$dir/prometheus-fetch.$$
		say "fetching the prometheus package (its two programs only)"
		deb=$(deb_download prometheus "$work")
		dpkg-deb -x "$deb" "$work/x" || die "dpkg-deb -x $deb failed"
		for p in prometheus promtool; do
			[ -x "$work/x/usr/bin/$p" ] || die "$deb holds no usr/bin/$p"
			mv "$work/x/usr/bin/$p" "$dir/$p"
		done
		echo "$(basename "$deb") sha256 $(sha256sum "$deb" | cut -d' ' -f1)" >"$dir/prometheus.SOURCE"
		rm -rf "$work"
	fi
	for p in prometheus promtool; do
		v=$("$dir/$p" --version 2>&1 | head -n 1) || die "$dir/$p --version failed: $v"
		say "$v"
	done
}

# A command the tests use (jq...), from the Debian package of the same name.
need_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	is_debian || die "$1 not found: install it (the tests need it)"
	apt_update
	say "installing $1 (for the tests) with apt-get (output: $LOG)"
	quiet as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$1" || die "apt-get install $1 failed"
}

while [ $# -gt 0 ]; do
	case $1 in
	--musl) need_musl ;;
	--mxml) need_mxml "$2"; shift ;;
	--tool) need_tool "$2"; shift ;;
	--llhttp) need_llhttp "$2"; shift ;;
	--prometheus) need_prometheus "$2"; shift ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
