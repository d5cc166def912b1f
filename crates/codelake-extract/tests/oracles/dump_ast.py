"""Dump CPython's own AST positions for conformance tests.

Reads file paths (one per line) on stdin and writes one JSON line per file:
  {"path": P, "ok": true, "nodes": [[kind, lineno, col, end_lineno, end_col, value, parent], ...]}
or {"path": P, "ok": false, "error": "..."} when CPython cannot compile the file.
Only nodes with positions are listed; `value` is repr() of a Constant's value, else null;
`parent` is the class name of the parent node.
"""
import ast
import json
import sys


def dump(path):
    with open(path, "rb") as f:
        source = f.read()
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError, UnicodeDecodeError, MemoryError, RecursionError) as e:
        return {"path": path, "ok": False, "error": f"{type(e).__name__}: {e}"}
    nodes = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if hasattr(node, "lineno") and getattr(node, "end_lineno", None) is not None:
            value = repr(node.value) if isinstance(node, ast.Constant) else None
            nodes.append([type(node).__name__, node.lineno, node.col_offset,
                          node.end_lineno, node.end_col_offset, value,
                          type(getattr(node, "_parent", None)).__name__])
        children = list(ast.iter_child_nodes(node))
        for child in children:
            child._parent = node
        stack.extend(reversed(children))
    return {"path": path, "ok": True, "nodes": nodes}


def main():
    out = sys.stdout
    for line in sys.stdin:
        path = line.rstrip("\n")
        if path:
            out.write(json.dumps(dump(path)) + "\n")


if __name__ == "__main__":
    sys.setrecursionlimit(10000)
    main()
