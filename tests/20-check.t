#!/bin/bash
# `check` on a corpus of bad and good registries, on the shipped ones, and on
# the ways of naming the registry.
#
# tests/data/bad/NN-name.xml: each must be refused (exit 6) with a message
# located at its line. The expectation is the file's first line,
#     <!-- expect: LINE: TEXT -->
# or, for a file that cannot hold a comment (the empty one), the first line of
# its sibling NN-name.expect, "LINE: TEXT". stderr must hold a line starting
# "FILE:LINE: " that contains TEXT.
#
# tests/data/good/*.xml: each must load (exit 0). Lines "expect-argv: ARGV"
# in the file name a plan line "    argv:   ARGV" that must appear on
# stdout; "expect-out: TEXT" names text that some stdout line must contain.
# @DIR@ stands for the file's own directory.
. "$(dirname "$0")/lib.sh"

BAD=$TESTS/data/bad
GOOD=$TESTS/data/good
cd "$ROOT" || exit 1

nbad=0
for f in "$BAD"/*.xml; do nbad=$((nbad + 1)); done
ngood_checks=0
for f in "$GOOD"/*.xml; do
	ngood_checks=$((ngood_checks + 1 + $(grep -c -e 'expect-argv: ' -e 'expect-out: ' "$f")))
done
plan $((2 * nbad + ngood_checks + 36))

# run_check OUT ERR ARGS...: run the binary, keep stdout/stderr, return its status.
run_check() {
	local out=$1 err=$2
	shift 2
	"$BIN" "$@" >"$out" 2>"$err"
}

# has_located ERRFILE FILE LINE TEXT: stderr holds "FILE:LINE: ...TEXT...".
has_located() {
	grep -F -- "$2:$3: " "$1" | grep -qF -- "$4"
}

# ---- the bad corpus -------------------------------------------------------
[ "$nbad" -ge 30 ] || diag "only $nbad bad registries"
for f in "$BAD"/*.xml; do
	name=${f##*/}
	if [ -f "${f%.xml}.expect" ]; then
		exp=$(head -n 1 "${f%.xml}.expect")
	else
		exp=$(head -n 1 "$f" | sed -n 's/^<!-- expect: \(.*\) -->$/\1/p')
	fi
	line=${exp%%: *}
	text=${exp#*: }
	if [ -z "$exp" ] || [ "$line" = "$exp" ]; then
		fail "$name: has an expectation"
		fail "$name: (no expectation to check)"
		continue
	fi
	run_check "$T/out" "$T/err" -c "$f" check
	is "$?" 6 "$name: check exits 6"
	if has_located "$T/err" "$f" "$line" "$text"; then
		pass "$name: reported at line $line: $text"
	else
		fail "$name: reported at line $line: $text"
		diag "stderr:" "$(cat "$T/err")"
	fi
done

# ---- generated bad registries -------------------------------------------
SERVER='<servers><server id="a"><executable>/bin/true</executable></server></servers>'

# Over 1 MiB: refused by its size, the message naming the file.
{
	echo "<supervisor>$SERVER"
	head -c $((1024 * 1024)) /dev/zero | tr '\0' ' '
	echo "</supervisor>"
} >"$T/big.xml"
run_check "$T/out" "$T/err" -c "$T/big.xml" check
is "$?" 6 "a registry over 1 MiB: check exits 6"
like "$(cat "$T/err")" "^$T/big.xml: registry is larger than 1048576 bytes" "... and says it is too large"

# limited ARGS...: run the binary with at most 256 MiB of address space (not
# under the sanitizers, which reserve far more for their shadow memory).
limited() {
	if [ -n "${IMAGESERVING_SANITIZE:-}" ]; then
		"$BIN" "$@"
	else
		(ulimit -v 262144 && exec "$BIN" "$@")
	fi
}

# now_ms: a monotonic-enough clock for "promptly".
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# timed_check FILE: check FILE with limited memory, stdout and stderr in
# $T/out and $T/err; its exit status in RC, how long it took in MS.
timed_check() {
	local t0
	t0=$(now_ms)
	limited -c "$1" check >"$T/out" 2>"$T/err"
	RC=$?
	MS=$(( $(now_ms) - t0 ))
}

# 100,000 nested elements, well-formed: loads (the unknown element is only a
# warning), promptly, in bounded memory (256 MiB of address space).
{
	printf '<supervisor>\n%s\n<deep>\n' "$SERVER"
	yes '<x>' | head -n 100000 | tr -d '\n'
	yes '</x>' | head -n 100000 | tr -d '\n'
	printf '\n</deep>\n</supervisor>\n'
} >"$T/deep.xml"
timed_check "$T/deep.xml"
is "$RC" 0 "100,000 nested elements: check exits 0 within 256 MiB"
if has_located "$T/err" "$T/deep.xml" 3 "warning: unknown element <deep> in <supervisor>"; then
	pass "... with the unknown element warned about at its line"
else
	fail "... with the unknown element warned about at its line"
	diag "$(head -c 2000 "$T/err")"
fi
ok $([ $MS -lt 2000 ]; echo $?) "... promptly ($MS ms)"

# The same never closed: a located error, not a crash.
{
	printf '<supervisor>\n%s\n' "$SERVER"
	yes '<x>' | head -n 100000 | tr -d '\n'
	printf '\n</supervisor>\n'
} >"$T/deep-open.xml"
limited -c "$T/deep-open.xml" check >"$T/out" 2>"$T/err"
is "$?" 6 "100,000 unclosed nested elements: check exits 6"
has_located "$T/err" "$T/deep-open.xml" 4 "close tag </supervisor> does not match <x> opened on line 3"
ok $? "... at the line of the close tag, naming where <x> opened"

# More elements than the loader keeps: refused, at the line where it happened.
{
	printf '<supervisor>\n%s\n<many>\n' "$SERVER"
	yes '<a/>' | head -n 210000 | tr -d '\n'
	printf '\n</many>\n</supervisor>\n'
} >"$T/many.xml"
limited -c "$T/many.xml" check >"$T/out" 2>"$T/err"
is "$?" 6 "210,000 elements: check exits 6"
has_located "$T/err" "$T/many.xml" 4 "more than 200000 elements"
ok $? "... at the line where the limit was passed"

# '=' counts as an attribute only inside a tag: 300,000 of them in a comment
# and in text load, promptly; 60,000 real attributes on one element are
# refused before mini-XML (quadratic in them) runs, at the element's line.
{
	printf '<supervisor>\n%s\n<!-- ' "$SERVER"
	head -c 300000 /dev/zero | tr '\0' '='
	printf ' -->\n<x>'
	head -c 300000 /dev/zero | tr '\0' '='
	printf '</x>\n</supervisor>\n'
} >"$T/equals.xml"
timed_check "$T/equals.xml"
is "$RC" 0 "600,000 '=' in a comment and in text: check exits 0"
[ "$RC" -eq 0 ] || diag "$(head -c 2000 "$T/err")"
ok $([ $MS -lt 2000 ]; echo $?) "... promptly ($MS ms)"
{
	printf '<supervisor>\n%s\n<x\n' "$SERVER"
	seq 60000 | sed 's/.*/a&="1"/' | tr '\n' ' '
	printf '/>\n</supervisor>\n'
} >"$T/attrs.xml"
timed_check "$T/attrs.xml"
is "$RC" 6 "an element with 60,000 attributes: check exits 6"
has_located "$T/err" "$T/attrs.xml" 3 "an element with more than 256 attributes"
ok $? "... at the element's line"
ok $([ $MS -lt 2000 ]; echo $?) "... promptly ($MS ms)"

# Variables that refer to others many times over ("billion laughs"): refused
# at once, in bounded memory.
{
	printf '<supervisor>\n<variables>\n'
	for i in 0 1 2 3 4 5 6 7; do
		printf '<variable name="v%d">' "$i"
		for k in $(seq 30); do printf 'SV::v%d ' $((i + 1)); done
		printf '</variable>\n'
	done
	printf '<variable name="v8">0123456789</variable>\n</variables>\n'
	printf '<servers><server id="a"><executable>/bin/true</executable>\n'
	printf '<arguments><argument>SV::v0</argument></arguments></server></servers>\n</supervisor>\n'
} >"$T/laughs.xml"
timed_check "$T/laughs.xml"
is "$RC" 6 "variables that expand exponentially: check exits 6 within 256 MiB"
has_located "$T/err" "$T/laughs.xml" 14 "variables expand to more than"
ok $? "... at the line that uses them"
ok $([ $MS -lt 2000 ]; echo $?) "... promptly ($MS ms)"

# Many variables, profiles and environment entries (each list once grew by
# copying, quadratic in memory): a load in linear time and space.
{
	printf '<supervisor>\n<variables>\n'
	seq 8000 | sed 's/.*/<variable name="v&">&<\/variable>/'
	printf '</variables>\n<profiles>\n'
	seq 8000 | sed 's/.*/<profile id="p&"\/>/'
	printf '</profiles>\n<servers><server id="a"><executable>/bin/true</executable>\n'
	printf '<profile ref="p8000"/><environment>\n'
	seq 8000 | sed 's/.*/<variable name="E&">SV::v&<\/variable>/'
	printf '</environment></server></servers>\n</supervisor>\n'
} >"$T/wide.xml"
timed_check "$T/wide.xml"
is "$RC" 0 "8,000 variables, profiles and environment entries: check exits 0 within 256 MiB"
like "$(grep '^    environment:' "$T/out")" '^    environment: +E1=1 E2=2 .* E8000=8000$' "... with every environment entry, in order"
ok $([ $MS -lt 2000 ]; echo $?) "... promptly ($MS ms)"

# ---- the good registries -------------------------------------------------
for f in "$GOOD"/*.xml; do
	name=${f##*/}
	dir=$(dirname "$f")
	run_check "$T/out" "$T/err" -c "$f" check
	RC=$?
	is "$RC" 0 "$name: check exits 0"
	[ "$RC" -eq 0 ] || diag "$(cat "$T/err")"
	while IFS= read -r want; do
		want=${want//@DIR@/$dir}
		if sed -n 's/^    argv: *//p' "$T/out" | grep -qxF -- "$want"; then
			pass "$name: argv $want"
		else
			fail "$name: argv $want"
			diag "plan argv lines:" "$(grep '^    argv:' "$T/out")"
		fi
	done < <(sed -n 's/^.*expect-argv: //p' "$f")
	while IFS= read -r want; do
		want=${want//@DIR@/$dir}
		if grep -qF -- "$want" "$T/out"; then
			pass "$name: plan shows '$want'"
		else
			fail "$name: plan shows '$want'"
			diag "plan:" "$(cat "$T/out")"
		fi
	done < <(sed -n 's/^.*expect-out: //p' "$f")
done

# ---- the shipped registries ---------------------------------------------
run_check "$T/out" "$T/err" -c conf/SupervisorRegistry.xml check
is "$?" 0 "the shipped conf/SupervisorRegistry.xml: check exits 0"
like "$(cat "$T/out")" "3 servers in 2 priority groups: registry OK" "... and plans 3 servers"
for id in is svg ps; do
	grep -q "^  $id " "$T/out"
	ok $? "... among them $id"
done
like "$(grep '^    argv:' "$T/out" | sed -n 2p)" \
	'^    argv: +/.*/conf/standin/java -Xmx256m -XX:MaxPermSize=200m -Djava.awt.headless=true com.scene7.svg.SvgServer$' \
	"... svg's argv: JVM options from the server before the profiles' (SPEC §4)"

run_check "$T/out" "$T/err" -c conf/examples/SupervisorRegistry.xml check
RC=$?
is "$RC" 0 "conf/examples/SupervisorRegistry.xml: check exits 0"
[ "$RC" -eq 0 ] || diag "$(cat "$T/err")"
like "$(cat "$T/out")" "healthCheck: +http GET http://127.0.0.1:8080/" "... with an http health check on Tomcat"
like "$(cat "$T/out")" "org.apache.catalina.startup.Bootstrap start$" "... starting Tomcat's Bootstrap last on its command line"

# ---- naming the registry -------------------------------------------------
run_check "$T/out" "$T/err" -c "$T/nonexistent.xml" check
is "$?" 6 "a missing registry: check exits 6"
like "$(cat "$T/err")" "$T/nonexistent.xml: cannot read registry: No such file or directory" "... naming the file and the OS error"

IMAGESERVING_REGISTRY=$GOOD/spec-example.xml "$BIN" check >"$T/out" 2>"$T/err"
is "$?" 0 "IMAGESERVING_REGISTRY=FILE check exits 0"
like "$(head -n 1 "$T/out")" "^registry: +$GOOD/spec-example.xml$" "... and checks that file"

run_check "$T/out" "$T/err" check -c "$GOOD/every-extension.xml"
is "$?" 0 "check -c FILE (option after the verb) exits 0"
like "$(head -n 1 "$T/out")" "^registry: +$GOOD/every-extension.xml$" "... and checks that file"

IMAGESERVING_REGISTRY=$GOOD/spec-example.xml "$BIN" -c "$BAD/10-duplicate-id.xml" check >"$T/out" 2>"$T/err"
is "$?" 6 "-c FILE wins over IMAGESERVING_REGISTRY"

done_testing
