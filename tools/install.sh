#!/bin/sh
# install.sh: `make install` and `make uninstall`, with a manifest.
#   tools/install.sh install BINARY    install everything under $DESTDIR
#   tools/install.sh uninstall         remove what the manifest lists
# Settings come from the environment (the Makefile passes them): DESTDIR,
# PREFIX, SYSCONFDIR, MANDIR, SYSTEMDUNITDIR, BASHCOMPDIR.
#
# Configuration (conf/, the systemd unit, the logrotate rule) is never
# overwritten once the operator has edited it: the new version goes beside
# it as NAME.new (NAME.dpkg-dist in logrotate.d/, because logrotate reads
# every other file there) and install says so. The manifest records every
# file with the checksum it had when installed; uninstall removes a file only
# if it still has that checksum, a link only if it still points where it did,
# a directory only if install created it and it is empty.
set -eu

: "${DESTDIR:=}" "${PREFIX:=/usr/local}" "${SYSCONFDIR:=/etc}"
: "${MANDIR:=$PREFIX/share/man}" "${SYSTEMDUNITDIR:=$SYSCONFDIR/systemd/system}"
: "${BASHCOMPDIR:=$PREFIX/share/bash-completion/completions}"
SRC=$(cd "$(dirname "$0")/.." && pwd)
MANIFEST=$PREFIX/share/imageserving/install-manifest
say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: %s\n' "$*" >&2; exit 1; }
sum() { sha256sum "$1" | cut -d' ' -f1; }

# What the previous install recorded for PATH ("" if nothing).
old_sum() { awk -v p="$1" '$1 == "f" && $3 == p { print $2 }' "$TMP/old"; }
record() { printf '%s\n' "$*" >>"$TMP/manifest"; }

# mkdirs DIR: create DIR and its missing parents, recording those created.
mkdirs() {
	[ -d "$DESTDIR$1" ] && return 0
	if [ "$1" = / ]; then mkdir -p "$DESTDIR/"; return 0; fi
	mkdirs "$(dirname "$1")"
	mkdir -m 0755 "$DESTDIR$1"
	record "d $1"
}

# put MODE FROM TO: install a file, replacing what is there.
put() {
	mkdirs "$(dirname "$3")"
	rm -f "$DESTDIR$3"
	cp "$2" "$DESTDIR$3.tmp.$$" && chmod "$1" "$DESTDIR$3.tmp.$$" && mv -f "$DESTDIR$3.tmp.$$" "$DESTDIR$3"
	record "f $(sum "$DESTDIR$3") $3"
}

# put_config MODE FROM TO [SUFFIX]: like put, but an existing file that
# differs both from the new one and from what the last install put there was
# edited: keep it, put the new one beside it.
put_config() {
	d=$DESTDIR$3
	if [ -e "$d" ] || [ -L "$d" ]; then
		have=$(sum "$d" 2>/dev/null || echo none)
		if [ "$have" = "$(sum "$2")" ]; then
			record "f $have $3"
			return 0
		fi
		if [ "$have" != "$(old_sum "$3")" ]; then
			put "$1" "$2" "$3${4:-.new}"
			say "kept $d (edited); the new version is $d${4:-.new}"
			return 0
		fi
	fi
	put "$1" "$2" "$3"
}

# link TARGET NAME: a symbolic link, recorded.
link() {
	mkdirs "$(dirname "$2")"
	ln -sfn "$1" "$DESTDIR$2"
	record "l $1 $2"
}

# sub FILE: a copy of FILE with the default prefix replaced by ours.
sub() {
	sed -e "s|/usr/local/bin/|$PREFIX/bin/|g" -e "s|/usr/local/logs|$PREFIX/logs|g" \
		-e "s|/usr/local/temp|$PREFIX/temp|g" "$1" >"$TMP/$(basename "$1")"
	echo "$TMP/$(basename "$1")"
}

do_install() {
	bin=$1
	[ -x "$bin" ] || die "no binary $bin: run make first"
	TMP=$(mktemp -d)
	trap 'rm -rf "$TMP"' EXIT
	: >"$TMP/old"
	[ -f "$DESTDIR$MANIFEST" ] && cp "$DESTDIR$MANIFEST" "$TMP/old"
	# directories an earlier install created are still ours
	grep '^d ' "$TMP/old" >"$TMP/manifest" || true
	mkdirs "$(dirname "$MANIFEST")"

	put 0755 "$bin" "$PREFIX/bin/imageserving"
	for l in ImageServing supervisor S7Supervisor isstatus; do link imageserving "$PREFIX/bin/$l"; done
	(cd "$SRC/conf" && find . -type f ! -path './systemd/*' ! -path './logrotate.d/*' ! -path './bash-completion/*' ! -path './container/*' |
		sort) | while read -r f; do
		f=${f#./}
		mode=0644; [ -x "$SRC/conf/$f" ] && mode=0755
		put_config "$mode" "$SRC/conf/$f" "$PREFIX/conf/$f"
	done
	mkdirs "$PREFIX/logs"; mkdirs "$PREFIX/temp"
	put 0644 "$SRC/docs/imageserving.8" "$MANDIR/man8/imageserving.8"
	put 0644 "$SRC/docs/SupervisorRegistry.xml.5" "$MANDIR/man5/SupervisorRegistry.xml.5"
	put_config 0644 "$(sub "$SRC/conf/systemd/imageserving.service")" "$SYSTEMDUNITDIR/imageserving.service"
	put_config 0644 "$(sub "$SRC/conf/logrotate.d/imageserving")" "$SYSCONFDIR/logrotate.d/imageserving" .dpkg-dist
	put 0644 "$SRC/conf/bash-completion/imageserving" "$BASHCOMPDIR/imageserving"
	for l in ImageServing isstatus; do link imageserving "$BASHCOMPDIR/$l"; done

	sort -u "$TMP/manifest" >"$DESTDIR$MANIFEST"
	say "installed into $DESTDIR$PREFIX (manifest: $DESTDIR$MANIFEST); make uninstall removes it"
}

do_uninstall() {
	m=$DESTDIR$MANIFEST
	[ -f "$m" ] || die "nothing to uninstall: no manifest $m"
	dirs=$(awk '$1 == "d" { print length($2), $2 }' "$m" | sort -rn | cut -d' ' -f2-)
	n=0 kept=0
	while read -r kind a b; do
		case $kind in
		f)
			if [ -f "$DESTDIR$b" ] && [ "$(sum "$DESTDIR$b")" = "$a" ]; then
				rm -f "$DESTDIR$b"; n=$((n + 1))
			elif [ -e "$DESTDIR$b" ]; then
				say "kept $DESTDIR$b (changed since it was installed)"; kept=$((kept + 1))
			fi ;;
		l)
			if [ -L "$DESTDIR$b" ] && [ "$(readlink "$DESTDIR$b")" = "$a" ]; then rm -f "$DESTDIR$b"; n=$((n + 1)); fi ;;
		esac
	done <"$m"
	rm -f "$m"
	for d in $dirs; do rmdir "$DESTDIR$d" 2>/dev/null || true; done
	[ "$kept" = 0 ] && kept= || kept="; kept $kept changed files"
	say "removed $n files and links from $DESTDIR$PREFIX$kept"
}

case ${1:-} in
install) do_install "${2:-$SRC/imageserving}" ;;
uninstall) do_uninstall ;;
*) die "usage: tools/install.sh install BINARY | uninstall" ;;
esac
