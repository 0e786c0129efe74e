#!/bin/bash
# make install / make uninstall into a DESTDIR (issue 12 item 4): the binary
# and its four links, conf/, man pages, systemd unit, logrotate rule and bash
# completion in their places; an edited registry is never overwritten (the new
# one goes beside it as .new) and never removed; uninstall removes exactly
# what install put there.
. "$(dirname "$0")/lib.sh"
plan 20
D=$T/dest P=/opt/is
inst() { make -s -C "$ROOT" --no-print-directory "$@" DESTDIR="$D" PREFIX="$P" 2>&1; }
out=$(inst install); rc=$?
is "$rc" 0 "make install DESTDIR=... PREFIX=$P exits 0"
like "$out" "installed into $D$P" "and says where"
ok $(cmp -s "$D$P/bin/imageserving" "$ROOT/imageserving"; echo $?) "the binary is $P/bin/imageserving"
links=; for l in ImageServing supervisor S7Supervisor isstatus; do links="$links$l->$(readlink "$D$P/bin/$l") "; done
is "$links" "ImageServing->imageserving supervisor->imageserving S7Supervisor->imageserving isstatus->imageserving " \
	"the links ImageServing, supervisor, S7Supervisor, isstatus"
(cd "$ROOT/conf" && find . -type f ! -path './systemd/*' ! -path './logrotate.d/*' ! -path './bash-completion/*' ! -path './container/*') | sort >"$T/want"
(cd "$D$P/conf" && find . -type f) | sort >"$T/got"
ok $(cmp -s "$T/want" "$T/got" && [ -x "$D$P/conf/standin/java" ]; echo $?) "conf/ is installed whole, stand-ins executable"
ok $([ -f "$D$P/share/man/man8/imageserving.8" ] && [ -f "$D$P/share/man/man5/SupervisorRegistry.xml.5" ]; echo $?) \
	"man pages in share/man/man8 and man5"
u=$D/etc/systemd/system/imageserving.service
ok $(grep -qx "ExecStart=$P/bin/imageserving supervisor -f" "$u" && ! grep -q /usr/local "$u"; echo $?) \
	"the systemd unit is in /etc/systemd/system, its paths rewritten to $P"
ok $(grep -q "^$P/logs/\*\.log {" "$D/etc/logrotate.d/imageserving" &&
	grep -q "$P/bin/ImageServing reopen" "$D/etc/logrotate.d/imageserving"; echo $?) \
	"the logrotate rule is in /etc/logrotate.d, for $P/logs, calling $P/bin/ImageServing reopen"
ok $([ -f "$D$P/share/bash-completion/completions/imageserving" ] &&
	[ "$(readlink "$D$P/share/bash-completion/completions/ImageServing")" = imageserving ]; echo $?) \
	"the bash completion is in share/bash-completion/completions, also for ImageServing"
out=$("$D$P/bin/imageserving" check 2>&1); rc=$?
ok $([ "$rc" = 0 ] && grep -q "$D$P/conf/SupervisorRegistry.xml" <<<"$out"; echo $?) \
	"the installed binary finds and validates the installed registry"
out=$("$D$P/bin/isstatus" 2>&1); rc=$?
is "$rc" 3 "the isstatus link reports (not running: exit 3)"

# ---- the operator edits the registry, adds a file; a second install keeps both ----
echo "<!-- edited by the operator -->" >>"$D$P/conf/SupervisorRegistry.xml"
cp "$D$P/conf/SupervisorRegistry.xml" "$T/edited"
echo "mine" >"$D$P/conf/local.txt"
out=$(inst install); rc=$?
is "$rc" 0 "a second make install exits 0"
ok $(cmp -s "$T/edited" "$D$P/conf/SupervisorRegistry.xml"; echo $?) "the edited registry is not overwritten"
ok $(cmp -s "$ROOT/conf/SupervisorRegistry.xml" "$D$P/conf/SupervisorRegistry.xml.new"; echo $?) \
	"the new registry is installed beside it as SupervisorRegistry.xml.new"
like "$out" "kept $D$P/conf/SupervisorRegistry.xml \(edited\); the new version is $D$P/conf/SupervisorRegistry.xml.new" \
	"and install says so"
ok $([ ! -e "$D$P/conf/examples/SupervisorRegistry.xml.new" ]; echo $?) "unedited files are simply updated (no .new)"

# ---- uninstall: exactly what install put there ----
out=$(inst uninstall); rc=$?
is "$rc" 0 "make uninstall exits 0"
left=$(cd "$D" && find . ! -type d | sort | tr '\n' ' ')
is "$left" "./opt/is/conf/SupervisorRegistry.xml ./opt/is/conf/local.txt " \
	"uninstall leaves only the edited registry and the operator's own file"
ok $(cmp -s "$T/edited" "$D$P/conf/SupervisorRegistry.xml"; echo $?) "the edited registry is intact"
dirs=$(cd "$D" && find . -mindepth 1 -type d | sort | tr '\n' ' ')
is "$dirs" "./opt ./opt/is ./opt/is/conf " "and no empty directory of the install is left"
done_testing
