#!/bin/bash
# Bash completion (issue 12 item 10): conf/bash-completion/imageserving,
# sourced in a real bash, completes verbs, options and the registry's server
# ids (read by the binary itself: imageserving complete ids), for the
# imageserving, ImageServing and isstatus names alike.
. "$(dirname "$0")/lib.sh"
plan 14
F=$ROOT/conf/bash-completion/imageserving
mkdir -p "$T/bin"
ln -s "$BIN" "$T/bin/ImageServing"; ln -s "$BIN" "$T/bin/isstatus"; ln -s "$BIN" "$T/bin/imageserving"
reg_write <<EOF2
alpha 1 0 5
beta 1 0 5
gamma 2 0 5
EOF2
cp "$REG" "$T/other.xml"; sed -i 's/"gamma"/"delta"/' "$T/other.xml"

# complete WORD...: the completions bash offers for the command line WORD...
# (the last word is the one being completed), one line, sorted.
complete_line() {
	PATH=$T/bin:$PATH bash --norc --noprofile -c '
		. "$1"; shift
		spec=$(complete -p "$1") || exit 9
		fn=${spec#*-F }; fn=${fn%% *}
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		[ ${#COMPREPLY[@]} -gt 0 ] && printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort | tr "\n" " "' bash "$F" "$@"
}

is "$(complete_line imageserving '')" \
	"check condrestart force-reload probe reload reopen restart start status stop supervisor try-restart " \
	"imageserving <TAB> offers every verb"
is "$(complete_line ImageServing re)" "reload reopen restart " "ImageServing re<TAB> offers reload, reopen, restart"
is "$(complete_line ImageServing -c "$REG" restart '')" "alpha beta gamma " \
	"restart <TAB> offers the registry's server ids (from -c FILE)"
is "$(complete_line ImageServing restart -c "$T/other.xml" '')" "alpha beta delta " \
	"with -c after the verb, the ids of that registry"
is "$(complete_line ImageServing --config="$REG" stop al)" "alpha " "stop al<TAB> completes alpha (--config=FILE)"
is "$(complete_line imageserving -c "$REG" start alpha '')" "beta gamma " "an id already given is not offered again"
is "$(complete_line isstatus -c "$REG" '')" "alpha beta gamma " "isstatus <TAB> offers the ids"
is "$(complete_line isstatus --)" "--config --help --json " "isstatus --<TAB> offers its options"
is "$(complete_line imageserving supervisor -)" "--config --foreground --help -c -f -h " "supervisor -<TAB> offers -f"
is "$(complete_line imageserving -c "$T/oth")" "$T/other.xml " "-c <TAB> completes file names"
is "$(complete_line imageserving reload '')" "" "reload takes no id: nothing offered"
# A registry edited into an invalid state: the ids come from the running supervisor.
sv_start >/dev/null
sed -i 's|<server id="beta">|&<description>SV::undefined</description>|' "$REG"
"$BIN" check -c "$REG" >/dev/null 2>&1; is $? 6 "(the registry is now invalid)"
is "$(complete_line ImageServing -c "$REG" stop '')" "alpha beta gamma " \
	"with the registry broken, the ids come from the running supervisor's state"
sv_stop

# The verbs the script offers are exactly those of the binary's usage.
want=$("$BIN" --help | awk '/^Verbs:/ { on = 1; next } on && /^$/ { exit } on { print $1 }
	on && /also: / { sub(/.*also: /, ""); sub(/\).*/, ""); print }' | grep -vx complete | LC_ALL=C sort | tr '\n' ' ')
is "$(complete_line imageserving '')" "$want" "the completion's verbs are the binary's (imageserving --help)"
done_testing
