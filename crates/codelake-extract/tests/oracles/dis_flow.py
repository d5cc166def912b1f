"""CPython's compiler as an oracle for the flow layer: the line transitions of each code object's
bytecode control-flow graph.

Reads file paths on standard input, one a line. For every code object of each file CPython can
compile, prints one JSON line:

  {"file": ..., "firstlineno": ..., "qualname": ..., "name": ...,
   "transitions": [[from, to], ...]}

A transition is a pair of lines joined by a path of instructions whose lines in between are
the first one's or none: fall-through, jumps, and the exception table's edges from each
instruction that can raise to its handler. "entry" precedes the first line; "exit" follows a
RETURN_VALUE, "raise" an exception leaving the code object (a RAISE_VARARGS or RERAISE, or any
instruction that can raise outside the exception table's ranges).

Instructions without a line (compiler-generated cleanup) are walked through. Instructions that
cannot raise (loads of constants, stores and deletions of locals, stack shuffles, jumps, NOP)
have no exception edge.
"""

import dis
import json
import sys

NO_RAISE = {
    "NOP", "RESUME", "CACHE", "EXTENDED_ARG", "POP_TOP", "PUSH_NULL", "LOAD_CONST",
    "STORE_FAST", "COPY", "SWAP", "JUMP_FORWARD", "JUMP_BACKWARD",
    "JUMP_BACKWARD_NO_INTERRUPT", "PRECALL", "KW_NAMES", "MAKE_CELL", "COPY_FREE_VARS",
    "RETURN_GENERATOR", "POP_EXCEPT", "PUSH_EXC_INFO", "RETURN_VALUE", "POP_BLOCK",
    "SETUP_FINALLY", "SETUP_CLEANUP", "SETUP_WITH", "YIELD_VALUE",
    # The handler cleanup `name = None; del name` on a return, break or continue out of
    # `except ... as name` cannot fail; stores to a namespace fail only in a class body with a
    # custom mapping (statements that store are nodes that may raise; binding a `with` or
    # `for` target is not).
    "DELETE_FAST", "DELETE_NAME", "DELETE_DEREF", "STORE_NAME", "STORE_DEREF",
}
CLEANUP = {
    "COPY", "POP_EXCEPT", "RERAISE", "LOAD_CONST", "STORE_FAST", "DELETE_FAST", "STORE_NAME",
    "DELETE_NAME", "STORE_DEREF", "DELETE_DEREF", "SWAP", "POP_TOP", "NOP",
}
UNCONDITIONAL = {"JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT"}
ENDS = {"RETURN_VALUE", "RAISE_VARARGS", "RERAISE"}


def exception_table(code):
    """(start, end, target) offsets of the code object's exception table."""
    return [(e.start, e.end, e.target) for e in dis._parse_exception_table(code)]


def graph(code):
    ins = [i for i in dis.get_instructions(code) if i.opname != "CACHE"]
    at = {i.offset: k for k, i in enumerate(ins)}
    table = exception_table(code)
    succ = [[] for _ in ins]
    for k, i in enumerate(ins):
        if i.opname not in ENDS and i.opname not in UNCONDITIONAL and k + 1 < len(ins):
            succ[k].append(at[ins[k + 1].offset])
        if i.opcode in dis.hasjrel or i.opcode in dis.hasjabs:
            if i.argval in at:
                succ[k].append(at[i.argval])
        can_raise = i.opname not in NO_RAISE
        handled = False
        for start, end, target in table:
            if start <= i.offset < end:
                handled = True
                if can_raise and target in at:
                    succ[k].append(at[target])
                break
        if i.opname == "RETURN_VALUE":
            succ[k].append("exit")
        elif i.opname in ("RAISE_VARARGS", "RERAISE") and not handled:
            succ[k].append("raise")
        elif can_raise and not handled:
            succ[k].append("raise")
    return ins, succ


def transitions(code):
    ins, succ = graph(code)
    # (A module's RESUME has line 0: no line.)
    line = [(i.positions.lineno or None) if i.positions else None for i in ins]
    # Handler blocks that only clean up and re-raise (`COPY 3; POP_EXCEPT; RERAISE`, or an
    # `except ... as name` block's `name = None; del name; RERAISE`) carry the line of the last
    # statement compiled before them; they run no statement: no line.
    at = {i.offset: k for k, i in enumerate(ins)}
    # A RERAISE is never a statement (a bare `raise` is RAISE_VARARGS): the end of a finally
    # body's exception copy, of a with's exception path, of a handler.
    for k, i in enumerate(ins):
        if i.opname == "RERAISE":
            line[k] = None
    for _, _, target in exception_table(code):
        k = at.get(target)
        run = []
        while k is not None and k < len(ins) and ins[k].opname in CLEANUP:
            run.append(k)
            if ins[k].opname == "RERAISE":
                for j in run:
                    line[j] = None
                break
            k += 1
    out = set()

    def walk(k, here):
        """Lines reached from instruction k, through instructions of line `here` or none."""
        seen = set()
        stack = list(succ[k])
        while stack:
            j = stack.pop()
            if j in ("exit", "raise"):
                out.add((here, j))
                continue
            if j in seen:
                continue
            seen.add(j)
            lj = line[j]
            if lj is not None and lj != here:
                out.add((here, lj))
                continue
            if lj == here:
                # Back to an instruction of the same line: a jump backwards to it re-reports
                # the line, a fall-through does not.
                pass
            stack.extend(succ[j])

    # Entry: from the first instruction through line-less ones.
    first = [0] if ins else []
    seen = set()
    while first:
        j = first.pop()
        if j in seen or j in ("exit", "raise"):
            continue
        seen.add(j)
        if line[j] is not None:
            out.add(("entry", line[j]))
            continue
        first.extend(s for s in succ[j] if s not in ("exit", "raise"))
    for k in range(len(ins)):
        if line[k] is not None:
            walk(k, line[k])
    return out


def code_objects(code):
    yield code
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            yield from code_objects(c)


def main():
    for path in (l.strip() for l in sys.stdin):
        if not path:
            continue
        try:
            with open(path, "rb") as f:
                code = compile(f.read(), path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            continue
        for c in code_objects(code):
            sys.stdout.write(
                json.dumps(
                    {
                        "file": path,
                        "firstlineno": c.co_firstlineno,
                        "qualname": c.co_qualname,
                        "name": c.co_name,
                        "transitions": sorted([str(a), str(b)] for a, b in transitions(c)),
                    }
                )
                + "\n"
            )


if __name__ == "__main__":
    main()
