#!/usr/bin/env bash
# codelake's whole build against CPython's own front end on the same files, side by side.
#
#   bench/compare_cpython.sh [CORPUS...]      corpora: requests flask django stdlib (default: django)
#
# The peer is CPython's `ast.parse` of every file codelake scans (the list is read from the
# `files` table of a first build), and `ast.parse` + `symtable.symtable`, the closest CPython
# gets to codelake's evidence (a syntax tree and scopes; codelake also writes lines, syntax
# facts, the CPG and Delta tables). CPython runs in one process and, with the same two cores
# codelake uses, in two worker processes (bench/cpython_parse.py). The configurations are run
# interleaved, round after round ($RUNS rounds, default 5), each a whole process timed by
# /usr/bin/time: the median wall time, the median CPU time (user + system) and the peak RSS
# (largest process; for a pool, the largest worker). MB/s is over the files' source bytes.
# Corpora and the release build are as in bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-5}"
CORPORA="${CODELAKE_CORPORA:-$HOME/.cache/codelake-corpora}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/codelake-target}"
PYTHON="${PYTHON:-python3}"
BIN="${BIN:-$CARGO_TARGET_DIR/release/codelake}"
JOBS=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for corpus in "${@:-django}"; do
  # Fetch the corpus (and build codelake) through run.sh's own code, with one run.
  RUNS=1 bench/run.sh "$corpus" >/dev/null
  case $corpus in
    stdlib) dir=$("$PYTHON" -c "import sysconfig; print(sysconfig.get_paths()['stdlib'])")
            extra=(--exclude site-packages) ;;
    *) dir="$CORPORA/$corpus"; extra=() ;;
  esac
  # The files codelake reads, as absolute paths, in its order.
  rm -rf "$work/db"
  "$BIN" build "$dir" --db "$work/db" "${extra[@]}" --quiet --no-relations >/dev/null
  "$BIN" sql --db "$work/db" --format csv --quiet "SELECT path FROM files ORDER BY path" \
    | tail -n +2 | sed "s|^|$dir/|" >"$work/files"
  count=$(wc -l <"$work/files")

  names=(codelake codelake_evidence cpython_ast cpython_ast_jobs cpython_ast_symtable_jobs)
  run() { # name -> "wall cpu rss_kb"
    local out="$work/$1.out"
    rm -rf "$work/db"
    case $1 in
      codelake) set -- "$BIN" build "$dir" --db "$work/db" "${extra[@]}" --quiet ;;
      codelake_evidence) set -- "$BIN" build "$dir" --db "$work/db" "${extra[@]}" --quiet --no-relations ;;
      cpython_ast) set -- "$PYTHON" bench/cpython_parse.py "$work/files" ;;
      cpython_ast_jobs) set -- "$PYTHON" bench/cpython_parse.py "$work/files" --jobs "$JOBS" ;;
      cpython_ast_symtable_jobs) set -- "$PYTHON" bench/cpython_parse.py "$work/files" --symtable --jobs "$JOBS" ;;
    esac
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$out" 2>"$work/err" \
      || { echo "failed: $*" >&2; cat "$work/err" >&2; exit 1; }
    read -r wall user sys rss <"$work/time"
    echo "$wall $(awk "BEGIN { print $user + $sys }") $rss"
  }
  : >"$work/runs"
  for _ in $(seq "$RUNS"); do
    for n in "${names[@]}"; do
      result=$(run "$n")  # (a failed run ends the script here, with its message)
      echo "$n $result" >>"$work/runs"
    done
  done
  bytes=$(grep -oP 'bytes \K[0-9]+' "$work/cpython_ast.out")
  failed=$(grep -oP 'failed \K[0-9]+' "$work/cpython_ast.out")
  echo "corpus $corpus: $count files, $(awk "BEGIN { printf \"%.2f\", $bytes / 1e6 }") MB; CPython could not parse $failed; $RUNS rounds, $JOBS cores"
  "$PYTHON" - "$work/runs" "$bytes" <<'EOF'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1])]
mb = int(sys.argv[2]) / 1e6
by = {}
for name, wall, cpu, rss in rows:
    by.setdefault(name, []).append((float(wall), float(cpu), int(rss)))
base = st.median(w for w, _, _ in by["codelake"])
print(f"{'configuration':28} {'wall s':>7} {'CPU s':>7} {'MB/s':>7} {'peak MB':>8} {'wall / codelake':>16}")
for name, xs in by.items():
    wall = st.median(w for w, _, _ in xs)
    cpu = st.median(c for _, c, _ in xs)
    rss = max(r for _, _, r in xs) // 1024
    print(f"{name:28} {wall:7.2f} {cpu:7.2f} {mb / wall:7.1f} {rss:8d} {wall / base:16.2f}")
EOF
done
