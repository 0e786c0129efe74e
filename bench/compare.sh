#!/bin/bash
# compare.sh OLD_BIN NEW_BIN [ROUNDS]: imageserving before and after a
# change, on this machine, interleaved: ROUNDS (default 3) times a run of
# bench.sh with OLD_BIN, then one with NEW_BIN (imageserving only; phases
# and repetitions from BENCH_PHASES, default "small", and BENCH_REPS,
# default 2). One report: NEW_BIN is "imageserving", OLD_BIN the peer
# "imageserving-old" (so the ratio table reads old ÷ new), the floors pooled.
# Output in BENCH_OUT (default build/bench-compare): report.md, samples.tsv.
set -u
set -o pipefail
[ $# -ge 2 ] || { echo "usage: $0 OLD_BIN NEW_BIN [ROUNDS]" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OLD=$(readlink -f "$1") NEW=$(readlink -f "$2") ROUNDS=${3:-3}
OUT=${BENCH_OUT:-$ROOT/build/bench-compare}
[ -x "$OLD" ] && [ -x "$NEW" ] || { echo "$0: $OLD or $NEW is not an executable" >&2; exit 2; }
mkdir -p "$OUT" || exit 1
: >"$OUT/samples.tsv"
export BENCH_SYSTEMS=imageserving BENCH_PHASES=${BENCH_PHASES:-small} BENCH_REPS=${BENCH_REPS:-2}
for r in $(seq 1 "$ROUNDS"); do
	for which in old new; do
		bin=$NEW label=imageserving
		[ "$which" = old ] && bin=$OLD label=imageserving-old
		echo "compare: round $r/$ROUNDS: $which ($bin)" >&2
		BENCH_OUT=$OUT/$which-$r IMAGESERVING_BIN=$bin bash "$HERE/bench.sh" >/dev/null || exit 1
		# Repetition numbers stay distinct across rounds; the floors stay "floor".
		awk -F'\t' -v OFS='\t' -v l="$label" -v r="$r" '
			{ if ($2 == "imageserving") $2 = l; $3 = r "." $3; print }' \
			"$OUT/$which-$r/samples.tsv" >>"$OUT/samples.tsv"
	done
done
# The newest run's description of the machine, with both binaries named.
sed -e "s/^systems\t.*/systems\timageserving imageserving-old/" -e "s/^reps\t.*/reps\t$(( ROUNDS * BENCH_REPS ))/" "$OUT/new-$ROUNDS/meta.txt" >"$OUT/meta.txt"
{
	echo "imageserving_old	$("$OLD" --version 2>&1 | head -1) (sha256 $(sha256sum "$OLD" | cut -c1-16))"
	echo "compare_rounds	$ROUNDS"
} >>"$OUT/meta.txt"
cp "$OUT/new-$ROUNDS/files.txt" "$OUT/files.txt" 2>/dev/null
python3 "$HERE/report.py" "$OUT" >"$OUT/report.md" || exit 1
cat "$OUT/report.md"
echo "compare: $ROUNDS rounds; old: $OLD; new: $NEW; report in $OUT/report.md" >&2
