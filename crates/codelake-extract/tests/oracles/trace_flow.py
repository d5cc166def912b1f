"""Runs CPython test modules under sys.settrace and prints what executions did, per code object.

Usage: trace_flow.py MODULE... (e.g. test.test_textwrap). For every code object of a file of
the standard library that ran, one JSON line:

  {"file": ..., "firstlineno": ..., "qualname": ..., "name": ...,
   "transitions": [[from, to], ...], "reads": [[var, load_line, store_line], ...]}

* transitions: consecutive line events of one frame; `from` is "entry" for the first line of a
  call, `to` is "exit" for a return and "raise" for an exception leaving the frame. A suspended
  generator or coroutine frame keeps its last line across yields (a resumption is not an entry).
* reads: each LOAD_FAST of a local (from opcode tracing), with the line of the STORE_FAST (or
  DELETE_FAST) executed last for that variable in that frame, or 0 when the variable is a
  parameter not yet rebound. Reads whose last write had no line are left out.

The test modules' own output is discarded; the counts of tests run and failed go to stderr.
"""

import dis
import io
import json
import os
import sys
import sysconfig
import unittest

STDLIB = os.path.realpath(sysconfig.get_paths()["stdlib"]) + os.sep
SELF = os.path.realpath(__file__)
CO_GENERATOR_LIKE = 0x20 | 0x80 | 0x200  # generator, coroutine, async generator

transitions = {}  # code key -> set of (from, to)
reads = {}  # code key -> set of (var, load_line, store_line)
code_info = {}  # code object -> (key, {offset: (opname, argval, line)}, params) or None


def info(code):
    got = code_info.get(code, False)
    if got is not False:
        return got
    path = os.path.realpath(code.co_filename)
    if not path.startswith(STDLIB) or path == SELF or "site-packages" in path:
        code_info[code] = None
        return None
    key = (path, code.co_firstlineno, code.co_qualname, code.co_name)
    ops = {}
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_FAST", "STORE_FAST", "DELETE_FAST"):
            line = ins.positions.lineno if ins.positions else None
            ops[ins.offset] = (ins.opname, ins.argval, line or 0)
    nparams = code.co_argcount + code.co_kwonlyargcount
    if code.co_flags & 0x04:
        nparams += 1
    if code.co_flags & 0x08:
        nparams += 1
    params = set(code.co_varnames[:nparams])
    got = (key, ops, params)
    code_info[code] = got
    return got


class FrameState:
    __slots__ = ("last", "pending_exc", "stores", "key", "ops", "params")

    def __init__(self, key, ops, params):
        self.last = "entry"
        self.pending_exc = False
        self.stores = {}
        self.key = key
        self.ops = ops
        self.params = params


frames = {}  # id(frame) -> (frame, FrameState)


def is_suspension(frame):
    code = frame.f_code
    if not code.co_flags & CO_GENERATOR_LIKE:
        return False
    co = code.co_code
    i = frame.f_lasti
    if i < 0 or i >= len(co):
        return False
    return dis.opname[co[i]] == "YIELD_VALUE"


def local_trace(frame, event, arg):
    entry = frames.get(id(frame))
    if entry is None or entry[0] is not frame:
        return None
    st = entry[1]
    if event == "line":
        line = frame.f_lineno
        if line is not None:
            transitions[st.key].add((st.last, line))
            st.last = line
        st.pending_exc = False
    elif event == "opcode":
        op = st.ops.get(frame.f_lasti)
        if op is not None:
            name, var, line = op
            if name == "LOAD_FAST":
                if var in st.stores:
                    w = st.stores[var]
                    if w:
                        reads[st.key].add((var, line, w))
                elif var in st.params:
                    reads[st.key].add((var, line, 0))
            else:
                st.stores[var] = line
    elif event == "exception":
        st.pending_exc = True
    elif event == "return":
        if is_suspension(frame):
            return local_trace
        end = "raise" if st.pending_exc and arg is None else "exit"
        transitions[st.key].add((st.last, end))
        del frames[id(frame)]
    return local_trace


def global_trace(frame, event, arg):
    if event != "call":
        return None
    entry = frames.get(id(frame))
    if entry is not None and entry[0] is frame:
        # A generator or coroutine resumed.
        frame.f_trace_opcodes = True
        return local_trace
    got = info(frame.f_code)
    if got is None:
        return None
    key, ops, params = got
    transitions.setdefault(key, set())
    reads.setdefault(key, set())
    frames[id(frame)] = (frame, FrameState(key, ops, params))
    frame.f_trace_opcodes = True
    return local_trace


def main():
    modules = sys.argv[1:]
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromName(m) for m in modules)
    stream = io.StringIO()
    runner = unittest.TextTestRunner(stream=stream, verbosity=0)
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = io.StringIO()
    sys.settrace(global_trace)
    try:
        result = runner.run(suite)
    finally:
        sys.settrace(None)
        sys.stdout, sys.stderr = saved
    print(
        f"trace_flow: {result.testsRun} tests, {len(result.failures)} failures, "
        f"{len(result.errors)} errors, {len(transitions)} code objects",
        file=sys.stderr,
    )
    out = sys.stdout
    for key in sorted(transitions):
        path, first, qualname, name = key
        out.write(
            json.dumps(
                {
                    "file": path,
                    "firstlineno": first,
                    "qualname": qualname,
                    "name": name,
                    "transitions": sorted(
                        [str(a), str(b)] for a, b in transitions[key]
                    ),
                    "reads": sorted([v, l, w] for v, l, w in reads.get(key, ())),
                }
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
