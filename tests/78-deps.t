#!/bin/bash
# make deps (issue 12 item 2): apt-get's output goes to a log file, each step
# says what it runs in one line, and a failing step's output is shown in
# full. apt-get is a stand-in here (first in PATH): it prints pages of
# progress for `update` and fails `source` the way a machine without deb-src
# entries does.
. "$(dirname "$0")/lib.sh"
[ -r /etc/debian_version ] || skip_all "Debian only (elsewhere make deps says what to install)"
plan 7
mkdir -p "$T/stub"
cat >"$T/stub/apt-get" <<'EOF2'
#!/bin/sh
case "$*" in
*update*) i=0; while [ $i -lt 200 ]; do echo "Get:$i http://deb.example/debian bookworm InRelease [progress noise]"; i=$((i + 1)); done ;;
*--print-uris*) exit 0 ;;
*source*) echo "Reading package lists..."; echo "E: You must put some 'deb-src' URIs in your sources.list" >&2; exit 100 ;;
esac
EOF2
chmod +x "$T/stub/apt-get"
out=$(PATH=$T/stub:$PATH DEPS_LOG=$T/deps.log make -s -C "$ROOT" --no-print-directory deps MXML_SRC="$T/mxml-src" 2>&1); rc=$?
ok $([ "$rc" -ne 0 ]; echo $?) "make deps fails when apt-get source fails (exit $rc)"
like "$out" "deps: fetching the mxml source package with apt-get source \(output: $T/deps.log\)" \
	"each step says what it runs, in one line, and where its output goes"
unlike "$out" "progress noise" "apt-get update's output is not on the terminal"
is "$(grep -c 'progress noise' "$T/deps.log")" 200 "it is in the log file, whole"
like "$out" "E: You must put some 'deb-src' URIs in your sources.list" "the failing step's output is shown in full"
unlike "$out" "cannot open|No such file" "no stray shell errors"
ok $([ "$(wc -l <<<"$out")" -lt 15 ]; echo $?) "and nothing else: $(wc -l <<<"$out") lines in all"
done_testing
