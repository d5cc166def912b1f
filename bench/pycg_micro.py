#!/usr/bin/env python3
"""PyCG's micro-benchmark against `codelake export callgraph --format pycg`.

    bench/pycg_micro.py [--bin CODELAKE] [--jobs N] [--min N] [--show failed|all] [CATEGORY/CASE ...]

Fetches the sdist of pycg 0.0.8 from PyPI (its `micro-benchmark/snippets/<category>/<case>/`
hold `main.py`, the modules it imports and the expected `callgraph.json`) into
$CODELAKE_CORPORA (default ~/.cache/codelake-corpora), never into the repository. Each case is
built with codelake and its call graph exported in PyCG's format; a case passes when the graph
equals the expected one exactly (every node, every node's callees), as PyCG's own test
(`micro-benchmark/base.py`) compares them. Prints a table per category and the total; with
--min N, exits with 1 when fewer than N cases pass (the test suite's regression floor).
"""

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

VERSION = "0.0.8"


def corpus() -> Path:
    root = Path(os.environ.get("CODELAKE_CORPORA", Path.home() / ".cache/codelake-corpora")) / "pycg"
    snippets = root / f"pycg-{VERSION}" / "micro-benchmark" / "snippets"
    if snippets.is_dir():
        return snippets
    root.mkdir(parents=True, exist_ok=True)
    sdist = root / f"pycg-{VERSION}.tar.gz"
    if not sdist.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             f"pycg=={VERSION}", "-d", str(root)],
            check=True,
        )
    with tarfile.open(sdist) as t:
        t.extractall(root, filter="data")
    return snippets


def cases(snippets: Path, only: list[str]) -> list[Path]:
    out = sorted(p.parent for p in snippets.glob("*/*/callgraph.json"))
    if only:
        out = [c for c in out if f"{c.parent.name}/{c.name}" in only]
    return out


def run_case(binary: str, case: Path, work: Path) -> tuple[dict | None, str]:
    db = work / f"{case.parent.name}-{case.name}"
    build = subprocess.run([binary, "build", str(case), "--db", str(db), "--quiet",
                            "--param", "call_graph=true"],
                           capture_output=True, text=True)
    if build.returncode != 0:
        return None, build.stderr.strip()
    export = subprocess.run([binary, "export", "callgraph", "--db", str(db), "--format", "pycg"],
                            capture_output=True, text=True)
    if export.returncode != 0:
        return None, export.stderr.strip()
    return json.loads(export.stdout), ""


def normalise(graph: dict) -> dict:
    return {k: sorted(set(v)) for k, v in graph.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("CODELAKE_BIN", "codelake"))
    ap.add_argument("--min", type=int, default=None, help="fail when fewer cases pass")
    ap.add_argument("--jobs", type=int, default=1, help="cases built at once")
    ap.add_argument("--show", choices=["failed", "all", "none"], default="none",
                    help="print the differences of the failed (or all) cases")
    ap.add_argument("only", nargs="*", help="category/case to run (default: all)")
    args = ap.parse_args()
    snippets = corpus()
    per_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        todo = cases(snippets, args.only)
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(lambda c: run_case(args.bin, c, Path(tmp)), todo))
        for case, (got, error) in zip(todo, results):
            name = f"{case.parent.name}/{case.name}"
            expected = normalise(json.loads((case / "callgraph.json").read_text()))
            ok = got is not None and normalise(got) == expected
            per_category[case.parent.name][1] += 1
            if ok:
                per_category[case.parent.name][0] += 1
            else:
                failed.append(name)
            if args.show == "all" or (args.show == "failed" and not ok):
                print(f"--- {name}: {'pass' if ok else 'FAIL'} {error}")
                if got is not None and not ok:
                    got = normalise(got)
                    for k in sorted(set(got) | set(expected)):
                        if got.get(k) != expected.get(k):
                            print(f"    {k}: got {got.get(k)} expected {expected.get(k)}")
    passed = sum(p for p, _ in per_category.values())
    total = sum(t for _, t in per_category.values())
    print("| category | exactly right | cases |")
    print("|---|---|---|")
    for cat in sorted(per_category):
        p, t = per_category[cat]
        print(f"| {cat} | {p} | {t} |")
    print(f"| **all** | **{passed}** | **{total}** |")
    if failed and args.show == "none":
        print("failed: " + " ".join(failed))
    if args.min is not None and passed < args.min:
        print(f"pycg micro-benchmark: {passed} cases pass, fewer than the floor {args.min}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
