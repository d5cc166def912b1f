"""The peer of bench/compare_cpython.sh: CPython's own front end over a list of files.

    python3 bench/cpython_parse.py FILE_LIST [--symtable] [--jobs N]

FILE_LIST holds one path per line. Each file is read as bytes and given to `ast.parse` (which
decodes it as the interpreter does: BOM, PEP 263 cookie); with --symtable, `symtable.symtable`
then analyses its scopes too, as codelake's scope tables do. With --jobs N the files are split
over N worker processes in runs of 32 consecutive files (as codelake's chunks are). A file CPython cannot
parse is counted and skipped. Prints one line: files parsed, files failed, source bytes.
"""

import ast
import io
import symtable
import sys
import tokenize
from concurrent.futures import ProcessPoolExecutor


def work(paths, with_symtable):
    parsed = failed = size = 0
    for path in paths:
        try:
            with open(path, "rb") as f:
                source = f.read()
        except OSError:
            failed += 1
            continue
        size += len(source)
        try:
            ast.parse(source, filename=path)
            if with_symtable:
                # symtable takes text; decode as the parser did (ast.parse accepted the bytes).
                text = source.decode(_encoding(source))
                symtable.symtable(text, path, "exec")
            parsed += 1
        except (SyntaxError, ValueError, UnicodeDecodeError, LookupError, RecursionError, MemoryError):
            failed += 1
    return parsed, failed, size


def _encoding(source):
    return tokenize.detect_encoding(io.BytesIO(source).readline)[0]


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    with_symtable = "--symtable" in args
    jobs = 1
    if "--jobs" in args:
        jobs = int(args[args.index("--jobs") + 1])
    with open(args[0], encoding="utf-8") as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    if jobs <= 1:
        parsed, failed, size = work(paths, with_symtable)
    else:
        step = 32
        parts = [paths[i : i + step] for i in range(0, len(paths), step)]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(work, parts, [with_symtable] * len(parts)))
        parsed = sum(r[0] for r in results)
        failed = sum(r[1] for r in results)
        size = sum(r[2] for r in results)
    print(f"parsed {parsed} failed {failed} bytes {size}")


if __name__ == "__main__":
    main()
