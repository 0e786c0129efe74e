#!/bin/bash
# Command-line dispatch, black box: help and version, each applet's --help,
# usage errors (exit 2, a one-line error naming the culprit, then the usage
# line), dispatch by link name, and -c FILE before or after the verb.
. "$(dirname "$0")/lib.sh"
plan 52
cd "$ROOT" || exit 1
REGFILE=$ROOT/conf/SupervisorRegistry.xml

# run CMD ARGS...: run, keeping stdout in $T/out and stderr in $T/err; sets RC.
run() {
	"$@" >"$T/out" 2>"$T/err"
	RC=$?
}
out() { cat "$T/out"; }
err() { cat "$T/err"; }

# ---- help and version ----------------------------------------------------
run "$BIN" --help
is "$RC" 0 "--help exits 0"
like "$(head -n 1 "$T/out")" '^Usage: imageserving ' "--help prints the usage on stdout"
is "$(err)" "" "--help writes nothing on stderr"

run "$BIN" --version
is "$RC" 0 "--version exits 0"
like "$(out)" '^imageserving [0-9]+\.[0-9]+\.[0-9]+ \(llhttp [0-9]+\.[0-9]+\.[0-9]+\)$' "--version prints the name and version, and llhttp's"

for a in check status supervisor start; do
	run "$BIN" "$a" --help
	is "$RC" 0 "$a --help exits 0"
	like "$(head -n 1 "$T/out")" "^Usage: .*\\<$a\\>" "$a --help prints its own usage"
done
run "$BIN" check -h
like "$RC $(head -n 1 "$T/out")" '^0 Usage: imageserving check' "check -h is check --help"

# ---- usage errors --------------------------------------------------------
# usage_error DESCRIPTION WORD: the last run exited 2, printed nothing on
# stdout, and on stderr one line naming WORD followed by the usage line.
usage_error() {
	is "$RC" 2 "$1: exits 2"
	like "$(sed -n 1p "$T/err")" "^imageserving: .*$2" "$1: a one-line error naming $2"
	like "$(sed -n 2p "$T/err") $(wc -l <"$T/err")" '^Usage: .* 2$' "$1: then the usage line, and nothing more"
	is "$(out)" "" "$1: nothing on stdout"
}

run "$BIN" frobnicate
usage_error "unknown verb" "unknown verb: frobnicate"

run "$BIN" --frobnicate check
usage_error "unknown option before the verb" "unknown option: --frobnicate"

run "$BIN" check --frobnicate
usage_error "unknown option after the verb" "unknown option: --frobnicate"
like "$(sed -n 2p "$T/err")" '^Usage: imageserving check' "... the usage line is the applet's own"

run "$BIN"
is "$RC" 2 "no verb: exits 2"
like "$(err)" 'Usage: imageserving' "no verb: prints the usage line"

run "$BIN" -c "$REGFILE"
is "$RC" 2 "-c FILE but no verb: exits 2"

run "$BIN" check unexpected
is "$RC" 2 "check with a stray argument: exits 2"

# ---- dispatch by link name -----------------------------------------------
mkdir -p "$T/bin"
for l in ImageServing isstatus supervisor S7Supervisor; do
	ln -s "$BIN" "$T/bin/$l"
done

run "$T/bin/ImageServing" check -c conf/SupervisorRegistry.xml
is "$RC" 0 "ImageServing check -c FILE exits 0"
like "$(out)" 'registry OK$' "... and prints the plan"

run "$T/bin/ImageServing" -c conf/SupervisorRegistry.xml check
is "$RC" 0 "ImageServing -c FILE check exits 0"

run "$T/bin/ImageServing" --help
is "$RC" 0 "ImageServing --help exits 0"
like "$(head -n 1 "$T/out")" '^Usage: ' "... and prints a usage"

run "$T/bin/ImageServing" frobnicate
is "$RC" 2 "ImageServing with an unknown verb exits 2"
like "$(err)" 'frobnicate' "... naming it"

run "$T/bin/isstatus" --help
is "$RC" 0 "isstatus --help exits 0"
like "$(head -n 1 "$T/out")" '^Usage: .*\<status\>' "isstatus --help shows the status usage"

run "$T/bin/S7Supervisor" --help
is "$RC" 0 "S7Supervisor --help exits 0"
like "$(head -n 1 "$T/out")" '^Usage: .*\<supervisor\>' "S7Supervisor --help shows the supervisor usage"

run "$T/bin/supervisor" --help
is "$RC" 0 "supervisor (link) --help exits 0"
like "$(head -n 1 "$T/out")" '^Usage: .*\<supervisor\>' "supervisor (link) --help shows the supervisor usage"

run "$T/bin/isstatus" --frobnicate
is "$RC" 2 "isstatus with an unknown option exits 2"
like "$(err)" 'frobnicate' "... naming it"

# ---- -c FILE before or after the verb ------------------------------------
run "$BIN" -c "$REGFILE" check
is "$RC" 0 "-c FILE before the verb: exits 0"
like "$(head -n 1 "$T/out")" "^registry: +$REGFILE\$" "... and checks that file"

run "$BIN" check -c "$REGFILE"
is "$RC" 0 "-c FILE after the verb: exits 0"
like "$(head -n 1 "$T/out")" "^registry: +$REGFILE\$" "... and checks that file"

run "$BIN" -c "$ROOT/tests/data/bad/10-duplicate-id.xml" check
is "$RC" 6 "-c FILE before the verb really selects the registry (a bad one: exit 6)"

run "$BIN" check -c "$ROOT/tests/data/bad/10-duplicate-id.xml"
is "$RC" 6 "-c FILE after the verb really selects the registry (a bad one: exit 6)"

done_testing
