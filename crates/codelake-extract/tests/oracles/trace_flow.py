"""Runs CPython test modules under sys.settrace and prints what executions did, per code object.

Usage: trace_flow.py MODULE... (e.g. test.test_textwrap), or the module names on standard
input, one a line. For every code object of a file of
the standard library that ran, one JSON line:

  {"file": ..., "firstlineno": ..., "qualname": ..., "name": ...,
   "transitions": [[from, to], ...], "reads": [[var, load_line, store_line], ...]}

* transitions: consecutive line events of one frame; `from` is "entry" for the first line of a
  call, `to` is "exit" for a return (the frame left at a RETURN_VALUE) and "raise" for an
  exception leaving the frame (at any other instruction: a RERAISE fires no exception event).
  A suspended generator or coroutine frame keeps its last line across yields (a resumption is
  not an entry).
* reads: each LOAD_FAST of a local (from opcode tracing), with the line of the STORE_FAST
  executed last for that variable in that frame, or 0 when the variable is a parameter not yet
  rebound. Left out: reads after a DELETE_FAST (they raise UnboundLocalError) and reads whose
  last write had no line.

What the trace did not see is never guessed: when a test calls sys.settrace itself (as
test.support.no_tracing does), every live frame forgets its last line and its stores, and a
frame first seen at a resumption (started while tracing was off) starts unknown too. Code
objects without line numbers (a test replaces a line table) are left out.

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
    if all(line is None for _, _, line in code.co_lines()):
        # No line table (a test replaced it): nothing to compare.
        code_info[code] = None
        return None
    key = (path, code.co_firstlineno, code.co_qualname, code.co_name)
    ops = {}
    starts = set()
    returns = set()
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_FAST", "STORE_FAST", "DELETE_FAST"):
            line = ins.positions.lineno if ins.positions else None
            ops[ins.offset] = (ins.opname, ins.argval, line or 0)
        elif ins.opname == "RESUME" and ins.arg == 0:
            starts.add(ins.offset)
        elif ins.opname == "RETURN_VALUE":
            returns.add(ins.offset)
    nparams = code.co_argcount + code.co_kwonlyargcount
    if code.co_flags & 0x04:
        nparams += 1
    if code.co_flags & 0x08:
        nparams += 1
    params = set(code.co_varnames[:nparams])
    got = (key, ops, params, starts, returns)
    code_info[code] = got
    return got


class FrameState:
    __slots__ = ("last", "stores", "unknown", "key", "ops", "params", "returns")

    def __init__(self, key, ops, params, returns):
        self.last = "entry"
        self.stores = {}
        self.unknown = False
        self.key = key
        self.ops = ops
        self.params = params
        self.returns = returns

    def forget(self):
        self.last = None
        self.stores = {}
        self.unknown = True


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
            if st.last is not None:
                transitions[st.key].add((st.last, line))
            st.last = line
    elif event == "opcode":
        op = st.ops.get(frame.f_lasti)
        if op is not None:
            name, var, line = op
            if name == "LOAD_FAST":
                if var in st.stores:
                    w = st.stores[var]
                    if w:
                        reads[st.key].add((var, line, w))
                elif var in st.params and not st.unknown:
                    reads[st.key].add((var, line, 0))
            elif name == "STORE_FAST":
                st.stores[var] = line
            else:
                st.stores[var] = None
    elif event == "return":
        if is_suspension(frame):
            return local_trace
        end = "exit" if frame.f_lasti in st.returns else "raise"
        if st.last is not None:
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
    key, ops, params, starts, returns = got
    transitions.setdefault(key, set())
    reads.setdefault(key, set())
    st = FrameState(key, ops, params, returns)
    if frame.f_lasti not in starts:
        # A generator or coroutine resumed that started while tracing was off.
        st.forget()
    frames[id(frame)] = (frame, st)
    frame.f_trace_opcodes = True
    return local_trace


_real_settrace = sys.settrace


def settrace_seen(fn):
    """sys.settrace as the tests see it: a change of tracer leaves a gap in every live frame."""
    if fn is not global_trace:
        for _, st in frames.values():
            st.forget()
    _real_settrace(fn)


class Result(unittest.TextTestResult):
    """Puts the tracer back before each test if one before it took it away."""

    def startTest(self, test):
        if sys.gettrace() is not global_trace:
            for _, st in frames.values():
                st.forget()
            _real_settrace(global_trace)
        super().startTest(test)


def main():
    modules = sys.argv[1:] or [l.strip() for l in sys.stdin if l.strip()]
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromName(m) for m in modules)
    stream = io.StringIO()
    runner = unittest.TextTestRunner(stream=stream, verbosity=0, resultclass=Result)
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = io.StringIO()
    sys.settrace = settrace_seen
    _real_settrace(global_trace)
    try:
        result = runner.run(suite)
    finally:
        _real_settrace(None)
        sys.settrace = _real_settrace
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
