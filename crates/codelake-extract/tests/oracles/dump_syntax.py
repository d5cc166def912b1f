"""Dump CPython's view of the syntax evidence for conformance tests.

Reads file paths (one per line) on stdin and writes one JSON line per file:
  {"path": P, "ok": true,
   "defs": [[kind, name], ...]          FunctionDef/AsyncFunctionDef/ClassDef/Lambda, sorted
   "calls": [dotted, ...]               callee of every Call as a.b.c ("" when not a pure
                                        chain of names), sorted
   "imports": [[kind, module, name, asname, level], ...]   one per alias, source order
   "comments": [text, ...] or null      COMMENT tokens of tokenize (null if tokenize fails)}
or {"path": P, "ok": false, "error": "..."} when CPython cannot parse the file.
"""
import ast
import io
import json
import sys
import tokenize


def dotted(e):
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Attribute):
        base = dotted(e.value)
        return None if base is None else base + "." + e.attr
    return None


def dump(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        tree = ast.parse(data, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        return {"path": path, "ok": False, "error": f"{type(e).__name__}: {e}"}
    defs = sorted(
        ([type(n).__name__, getattr(n, "name", "<lambda>")] for n in ast.walk(tree)
         if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))),
    )
    calls = sorted((dotted(n.func) or "") for n in ast.walk(tree) if isinstance(n, ast.Call))
    imports = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            for a in n.names:
                imports.append(["import", a.name, None, a.asname, 0, n.lineno, n.col_offset])
        elif isinstance(n, ast.ImportFrom):
            for a in n.names:
                imports.append(["from", n.module, a.name, a.asname, n.level, n.lineno, n.col_offset])
    imports.sort(key=lambda r: (r[5], r[6]))
    imports = [r[:5] for r in imports]
    try:
        comments = [t.string for t in tokenize.tokenize(io.BytesIO(data).readline)
                    if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        comments = None
    return {"path": path, "ok": True, "defs": defs, "calls": calls, "imports": imports,
            "comments": comments}


def main():
    sys.setrecursionlimit(100000)
    for line in sys.stdin:
        path = line.rstrip("\n")
        if path:
            print(json.dumps(dump(path)), flush=True)


if __name__ == "__main__":
    main()
