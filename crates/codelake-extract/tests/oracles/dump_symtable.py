"""Dump CPython's own symbol tables for conformance tests.

Reads file paths (one per line) on stdin and writes one JSON line per file:
  {"path": P, "ok": true, "scopes": [scope, ...]}   (pre-order)
  scope = [type, name, lineno, is_nested, parent_index, [symbol, ...]]
  symbol = [name, is_referenced, is_assigned, is_parameter, is_imported, is_global,
            is_declared_global, is_nonlocal, is_local, is_free, is_annotated, is_namespace,
            is_cell, namespace_count]
type is the raw block type: 0 function, 1 class, 2 module, 3 annotation.
or {"path": P, "ok": false, "error": "..."} when CPython cannot compile the file.
"""
import importlib.util
import json
import symtable
import sys

CELL = symtable.CELL


def symbols(table):
    out = []
    for sym in table.get_symbols():
        scope = sym._Symbol__scope
        out.append([
            sym.get_name(), sym.is_referenced(), sym.is_assigned(), sym.is_parameter(),
            sym.is_imported(), sym.is_global(), sym.is_declared_global(), sym.is_nonlocal(),
            sym.is_local(), sym.is_free(), sym.is_annotated(), sym.is_namespace(),
            scope == CELL, len(sym.get_namespaces()),
        ])
    return out


def dump(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        source = importlib.util.decode_source(data)
        top = symtable.symtable(source, path, "exec")
    except (SyntaxError, ValueError, UnicodeDecodeError, MemoryError, RecursionError) as e:
        return {"path": path, "ok": False, "error": f"{type(e).__name__}: {e}"}
    scopes = []

    def walk(table, parent):
        index = len(scopes)
        scopes.append([table._table.type, table.get_name(), table.get_lineno(),
                       table.is_nested(), parent, symbols(table)])
        for child in table.get_children():
            walk(child, index)

    walk(top, -1)
    return {"path": path, "ok": True, "scopes": scopes}


def main():
    for line in sys.stdin:
        path = line.rstrip("\n")
        if path:
            sys.stdout.write(json.dumps(dump(path)) + "\n")


if __name__ == "__main__":
    sys.setrecursionlimit(10000)
    main()
