#!/bin/bash
# The manual pages (issue 12 item 5): imageserving(8) and
# SupervisorRegistry.xml(5) are mdoc that `mandoc -T lint` passes silently;
# the registry page documents every element the loader accepts; its example
# registry loads; the exit-code table is README's; README links both pages.
. "$(dirname "$0")/lib.sh"
need mandoc mandoc && need makewhatis mandoc || skip_all "mandoc cannot be installed (apt-get install mandoc)"
plan 8
P8=$ROOT/docs/imageserving.8 P5=$ROOT/docs/SupervisorRegistry.xml.5

# A manual path holding our pages and every page they cross-reference, so
# that the lint's Xr check finds them (a system page missing here, e.g. on
# a system without manuals, is stood in for by a stub, and said so).
M=$T/man
mkdir -p "$M/man5" "$M/man8"
cp "$P5" "$M/man5/"; cp "$P8" "$M/man8/"
for xr in $(sed -n 's/^\.Xr \([^ ]*\) \([0-9]\).*/\1.\2/p' "$P8" "$P5" | sort -u); do
	sec=${xr##*.}
	mkdir -p "$M/man$sec"  # sections 1 and 3 too (systemd-notify, sd_notify)
	[ -e "$M/man$sec/$xr" ] && continue
	if [ -e "/usr/share/man/man$sec/$xr.gz" ]; then
		cp "/usr/share/man/man$sec/$xr.gz" "$M/man$sec/"
	else
		diag "$xr is not installed here: a stub stands in for it"
		printf '.Dd x\n.Dt %s %s\n.Os\n.Sh NAME\n.Nm %s\n.Nd stub\n' "${xr%.*}" "$sec" "${xr%.*}" >"$M/man$sec/$xr"
	fi
done
makewhatis "$M" 2>/dev/null
for p in "$P8" "$P5"; do
	out=$(mandoc -T lint -W style -M "$M" "$p" 2>&1); rc=$?
	is "$rc:$out" "0:" "mandoc -T lint is silent on $(basename "$p")"
done

# Every element of the registries we ship and test is documented.
els=$(cat "$ROOT/tests/data/good/every-extension.xml" "$ROOT/conf/SupervisorRegistry.xml" \
	"$ROOT/conf/examples/SupervisorRegistry.xml" | grep -v '^ *<!--' | grep -o '<[a-zA-Z][a-zA-Z]*' | tr -d '<' | sort -u)
undoc=
for e in $els; do
	case $e in supervisor|config|variables|profiles|servers|profile|server|variable|argument|tcp|http|exec) continue ;; esac
	grep -Eq "^\.It Ic $e( |$)|^\.It Ic [a-zA-Z]+ , Ic $e( |$)" "$P5" || undoc="$undoc $e"
done
is "$undoc" "" "SupervisorRegistry.xml(5) documents every element used in the shipped and tested registries"
for e in readiness startTimeout watchdog passEnvironment timestamps startInterval shutdownTimeout; do
	grep -Eq "^\.It Ic $e( |$)" "$P5" || undoc="$undoc $e"
done
is "$undoc" "" "and every extension element of SPEC section 4"

# The example registry in the page loads (its programs need not exist).
awk '/^<supervisor>$/ { on = 1 } on { print } /^<\/supervisor>$/ { on = 0 }' "$P5" >"$T/example.xml"
out=$("$BIN" check -c "$T/example.xml" 2>&1); rc=$?
is "$rc" 0 "the example registry of SupervisorRegistry.xml(5) passes imageserving check"
[ "$rc" = 0 ] || diag "$out"

# The exit-code table of imageserving(8) is README's, row for row.
man_rows=$(awk '/^\.\\" lsb-table/ { on = !on; next } on && /^\.It / && !/Em verb/ {
	sub(/^\.It /, ""); n = split($0, f, / Ta /); print f[1] "|" f[2] "|" f[3] }' "$P8")
readme_rows=$(awk '/<!-- lsb-table -->/ { on = !on; next } on && /^\| `/ {
	split($0, f, "|"); for (i = 2; i <= 4; i++) { gsub(/`/, "", f[i]); gsub(/^ +| +$/, "", f[i]) }
	print f[2] "|" f[3] "|" f[4] }' "$ROOT/README.md")
is "$(sort <<<"$man_rows")" "$(sort <<<"$readme_rows")" "imageserving(8)'s exit-code table has README's rows"
ok $([ "$(wc -l <<<"$man_rows")" -ge 30 ]; echo $?) "and it has them all ($(wc -l <<<"$man_rows") rows)"

grep -q '(docs/imageserving.8)' "$ROOT/README.md" && grep -q '(docs/SupervisorRegistry.xml.5)' "$ROOT/README.md"
ok $? "README links both manual pages"
done_testing
