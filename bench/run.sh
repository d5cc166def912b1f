#!/usr/bin/env bash
# Benchmark `codelake build` on the pinned real corpora of ../shared/corpora.md.
#
#   bench/run.sh [CORPUS...]        corpora: requests flask django stdlib (default: all)
#
# Corpora are fetched from PyPI into $CODELAKE_CORPORA (default ~/.cache/codelake-corpora),
# never into the repository. codelake is built in release mode. For each corpus it prints
# files, MB, seconds, MB/s, peak RSS (from /usr/bin/time -v) and rows per table, as the
# median of $RUNS runs (default 3). $BUILD_ARGS are passed to `codelake build` (for example
# BUILD_ARGS=--no-scopes to measure the build without the scope tables). Each run builds a fresh
# database; with REBUILD=1 each run rebuilds over a database of one earlier build.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPORA="${CODELAKE_CORPORA:-$HOME/.cache/codelake-corpora}"
RUNS="${RUNS:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/codelake-target}"
mkdir -p "$CORPORA"

fetch() { # name pypi-name version
  local name=$1 pkg=$2 version=$3 dir="$CORPORA/$1"
  if [ ! -d "$dir" ]; then
    local tmp; tmp=$(mktemp -d)
    python3 -m pip download --quiet --no-deps --no-binary :all: "$pkg==$version" -d "$tmp" >&2
    mkdir -p "$dir"
    tar -xzf "$tmp"/*.tar.gz -C "$dir" --strip-components=1
    rm -rf "$tmp"
  fi
  echo "$dir"
}

corpus_dir() {
  case $1 in
    requests) fetch requests requests 2.32.3 ;;
    flask) fetch flask flask 3.1.0 ;;
    django) fetch django Django 5.1.4 ;;
    stdlib) python3 -c "import sysconfig; print(sysconfig.get_paths()['stdlib'])" ;;
    *) echo "unknown corpus $1" >&2; exit 2 ;;
  esac
}

[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null 2>&1 || true; }
cargo build --release --locked -p codelake >&2
BIN="$CARGO_TARGET_DIR/release/codelake"

printf "%-9s %6s %8s %8s %8s %10s  %s\n" corpus files MB seconds MB/s peakRSS_MB rows
for corpus in "${@:-requests flask django stdlib}"; do
  for c in $corpus; do
    dir=$(corpus_dir "$c")
    db=$(mktemp -d)/db
    exclude=()
    [ "$c" = stdlib ] && exclude=(--exclude site-packages)
    results=()
    for _ in $(seq "$RUNS"); do
      # Every run builds a new database, as compare.sh does: over an existing one each run
      # would add a Delta version and keep the old files (89 MB a build on Django), so run k
      # would be timed against k-1 earlier builds and the median would depend on $RUNS
      # (0.95 s for the first build, 1.04 s for the fifth). REBUILD=1 times a rebuild over
      # one earlier build instead.
      rm -rf "$db"
      if [ "${REBUILD:-0}" = 1 ]; then
        # shellcheck disable=SC2086
        "$BIN" build "$dir" --db "$db" "${exclude[@]}" ${BUILD_ARGS:-} --quiet
      fi
      log=$(mktemp)
      # shellcheck disable=SC2086
      /usr/bin/time -v "$BIN" build "$dir" --db "$db" "${exclude[@]}" ${BUILD_ARGS:-} >"$log.out" 2>"$log"
      secs=$(grep -oP '^built .* in \K[0-9.]+' "$log.out")
      rss=$(grep -oP 'Maximum resident set size \(kbytes\): \K[0-9]+' "$log")
      results+=("$secs $rss")
      summary="$log.out"
    done
    median=$(printf "%s\n" "${results[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
    secs=${median% *}; rss=${median#* }
    files=$(grep -oP '^built .*: \K[0-9]+(?= files)' "$summary")
    mb=$(grep -oP '[0-9.]+(?= MB,)' "$summary")
    rows=$(grep -oP '^\s+\K\w+\s+\d+(?= rows)' "$summary" | awk '{printf "%s=%s ", $1, $2}')
    mbs=$(python3 -c "print(f'{$mb/$secs:.1f}')")
    printf "%-9s %6s %8s %8s %8s %10s  %s\n" "$c" "$files" "$mb" "$secs" "$mbs" "$((rss / 1024))" "$rows"
    rm -rf "$(dirname "$db")"
  done
done
