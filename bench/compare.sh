#!/usr/bin/env bash
# Compare two configurations of `codelake build` on one corpus, run by run.
#
#   bench/compare.sh CORPUS "ARGS_A" "ARGS_B"
#   e.g. RUNS=8 bench/compare.sh django "--no-relations --no-scopes" "--no-relations"
#
# Single runs on a shared 2-core machine drift by ±30% over minutes, so separate medians of two
# configurations measured one after the other can differ by more than what is compared. This
# script interleaves them (A, B, A, B, ...; $RUNS pairs, default 8) and prints each side's
# seconds (the build's own "built ... in" figure) and peak RSS, their medians, the ratio of the
# medians and the median of the per-pair ratios B/A. Corpora and the release build are as in
# bench/run.sh. To compare two builds of codelake instead (before/after a change), set BIN_A
# and BIN_B to their binaries and pass the same ARGS twice:
#   BIN_A=/tmp/codelake.old BIN_B=target/release/codelake bench/compare.sh django "" ""
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 3 ] || { echo "usage: bench/compare.sh CORPUS \"ARGS_A\" \"ARGS_B\"" >&2; exit 2; }
corpus=$1 args_a=$2 args_b=$3
RUNS="${RUNS:-8}"
CORPORA="${CODELAKE_CORPORA:-$HOME/.cache/codelake-corpora}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/codelake-target}"
# Fetch the corpus (and build codelake) through run.sh's own code, with one run.
RUNS=1 bench/run.sh "$corpus" >/dev/null
BIN="$CARGO_TARGET_DIR/release/codelake"
BIN_A="${BIN_A:-$BIN}"
BIN_B="${BIN_B:-$BIN}"
case $corpus in
  stdlib) dir=$(python3 -c "import sysconfig; print(sysconfig.get_paths()['stdlib'])")
          extra=(--exclude site-packages) ;;
  *) dir="$CORPORA/$corpus"; extra=() ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
one() { # binary args -> "seconds rss_mb"
  rm -rf "$work/db"
  # shellcheck disable=SC2086
  /usr/bin/time -f "%M" -o "$work/rss" "$1" build "$dir" --db "$work/db" "${extra[@]}" $2 \
    >"$work/out" 2>/dev/null
  echo "$(grep -oP '^built .* in \K[0-9.]+' "$work/out") $(( $(cat "$work/rss") / 1024 ))"
}
: >"$work/runs"
for _ in $(seq "$RUNS"); do
  echo "A $(one "$BIN_A" "$args_a")" >>"$work/runs"
  echo "B $(one "$BIN_B" "$args_b")" >>"$work/runs"
done
python3 - "$work/runs" "$args_a" "$args_b" <<'EOF'
import statistics as st, sys
runs = [l.split() for l in open(sys.argv[1])]
a = [float(s) for k, s, _ in runs if k == "A"]
b = [float(s) for k, s, _ in runs if k == "B"]
rss = {k: max(int(r) for kk, _, r in runs if kk == k) for k in "AB"}
for name, xs, args in (("A", a, sys.argv[2]), ("B", b, sys.argv[3])):
    print(f"{name} [{args}]: median {st.median(xs):.2f} s, runs {' '.join(f'{x:.2f}' for x in xs)}, peak RSS {rss[name]} MB")
print(f"B/A: ratio of medians {st.median(b) / st.median(a):.3f}, "
      f"median of pair ratios {st.median(y / x for x, y in zip(a, b)):.3f}")
EOF
