"""pytest plugin (-p mutation.inprocess): every mutant of one module in one pytest session.

Starting pytest and Django costs seconds per run on a busy machine, more than a mutant's
tests; so the session starts once, runs the tests clean (learning which test executes which
line, through sys.monitoring), then for each mutant swaps the mutated function's code object
in place (callers, decorators and `from x import f` all keep the same function object, so
all of them see it), runs the tests that execute the mutated lines with -x semantics, and
swaps the original back. A mutant outside any function (a class-level field) cannot be
swapped: it is reported as "isolate" and the runner runs it in a fresh process.

Environment: MUTATION_PLAN (JSON written by mutation.runner), MUTATION_RESULTS (JSON out).
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
import types

import pytest
from _pytest.runner import runtestprotocol

_TOOL = sys.monitoring.COVERAGE_ID


class MutantTimeout(Exception):  # noqa: N818 - reads as what happened
    """The mutant ran far longer than the clean tests: an endless loop, say."""


class _Lines:
    """Which lines of one file each test executes."""

    def __init__(self, path: str) -> None:
        self.path = os.path.realpath(path)
        self.current: set[int] = set()
        self.files: dict[str, bool] = {}

    def start(self) -> None:
        monitoring = sys.monitoring
        monitoring.use_tool_id(_TOOL, "mutation")
        monitoring.register_callback(_TOOL, monitoring.events.PY_START, self._on_start)
        monitoring.register_callback(_TOOL, monitoring.events.LINE, self._on_line)
        monitoring.set_events(_TOOL, monitoring.events.PY_START)

    def stop(self) -> None:
        sys.monitoring.set_events(_TOOL, 0)
        sys.monitoring.free_tool_id(_TOOL)

    def _on_start(self, code, offset):
        name = code.co_filename
        if name not in self.files:
            self.files[name] = os.path.realpath(name) == self.path
        if self.files[name]:
            sys.monitoring.set_local_events(_TOOL, code, sys.monitoring.events.LINE)
        return sys.monitoring.DISABLE

    def _on_line(self, code, line):
        self.current.add(line)


def _live_function(module: types.ModuleType, qualname: str) -> types.FunctionType | None:
    """The function object whose code is `qualname`'s, under decorators and descriptors."""
    owner: object = module
    for part in qualname.split("."):
        owner = vars(owner).get(part) if hasattr(owner, "__dict__") else None
        if owner is None:
            return None
    if isinstance(owner, property):
        owner = owner.fget
    if isinstance(owner, staticmethod | classmethod):
        owner = owner.__func__
    seen = 0
    while owner is not None and seen < 10:
        code = getattr(owner, "__code__", None)
        if code is not None and code.co_qualname == qualname:
            return owner
        owner = getattr(owner, "__wrapped__", None)
        seen += 1
    return None


def _find_code(code: types.CodeType, qualname: str) -> types.CodeType | None:
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_qualname == qualname:
                return const
            found = _find_code(const, qualname)
            if found is not None:
                return found
    return None


# Tests that failed in this session without a mutant too (state left behind): a failure of
# theirs proves nothing here, so the mutant goes to a fresh process.
_POLLUTED: set[str] = set()


class _Sentinel:
    """A next item whose chain is the session alone: each test tears down to the session."""

    def __init__(self, session) -> None:
        self.session = session

    def listchain(self):
        return [self.session]


def _run(item, sentinel, timeout: float | None, why: list | None = None) -> bool:
    """Run one test in full (setup, call, teardown); True when it passed."""
    item._initrequest()
    if timeout:
        # Then every second: code that swallows one MutantTimeout (an `except Exception` in
        # a loop) still gets stopped.
        signal.setitimer(signal.ITIMER_REAL, timeout, 1.0)
    try:
        reports = runtestprotocol(item, log=False, nextitem=sentinel)
    finally:
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
    failed = [r for r in reports if r.failed]
    if why is not None:
        why.extend(str(r.longrepr)[-3000:] for r in failed)
    return not failed


def _alarm(signum, frame):
    raise MutantTimeout("mutant timed out")


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    plan = json.loads(open(os.environ["MUTATION_PLAN"]).read())
    out = os.environ["MUTATION_RESULTS"]
    items = session.items
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    sentinel = _Sentinel(session)
    module = importlib.import_module(plan["module"])
    lines = _Lines(module.__file__)
    signal.signal(signal.SIGALRM, _alarm)

    # 1. Clean: every test passes, and we learn which lines each one runs.
    covering: dict[str, set[int]] = {}
    durations: dict[str, float] = {}
    lines.start()
    failed, why = [], []
    for item in items:
        lines.current = set()
        started = time.monotonic()
        if not _run(item, sentinel, None, why):
            failed.append(item.nodeid)
        durations[item.nodeid] = time.monotonic() - started
        covering[item.nodeid] = lines.current
    lines.stop()
    if failed:
        with open(out, "w") as f:
            json.dump({"clean_failed": failed, "why": why}, f)
        session.shouldfail = "tests fail without any mutant"
        return True

    # 2. Each mutant against the tests that run its lines.
    results = {}
    for n, mutant in enumerate(plan["mutants"], 1):
        started = time.monotonic()
        span = set(range(mutant["start"], mutant["end"] + 1))
        reaching = [i for i in items if covering[i.nodeid] & span]
        status = _one(module, mutant, reaching, sentinel, durations)
        results[mutant["key"]] = {"status": status, "seconds": time.monotonic() - started,
                                  "tests": len(reaching), "killed_by": mutant.get("killed_by"),
                                  "why": mutant.get("why"), "reaching": mutant.get("reaching")}
        if os.environ.get("MUTATION_VERBOSE") or status == "survived":
            reporter.write_line(
                f"  [{n}/{len(plan['mutants'])}] {status:8} {len(reaching):3} tests  "
                f"{plan['path']}:{mutant['line']} {mutant['operator']}: {mutant['label']}")
            if mutant.get("killed_by"):
                reporter.write_line(f"      by {mutant['killed_by']}: {mutant['why']}")
    session._setupstate.teardown_exact(None)
    if _POLLUTED:
        reporter.write_line(f"  [note] failing without a mutant late in the session (their "
                            f"mutants were run in a fresh process): {sorted(_POLLUTED)}")
    with open(out, "w") as f:
        json.dump({"polluted": sorted(_POLLUTED), "results": results, "reached": sorted(
            {line for lines_ in covering.values() for line in lines_})}, f)
    return True


def _one(module, mutant, reaching, sentinel, durations) -> str:
    if not mutant["target"]:
        return "isolate"
    if not reaching:
        return "no-test"
    live = _live_function(module, mutant["target"])
    if live is None:
        return "isolate"
    try:
        compiled = compile(mutant["source"], module.__file__, "exec")
    except SyntaxError:
        return "killed"
    new_code = _find_code(compiled, live.__code__.co_qualname)
    if new_code is None or new_code.co_freevars != live.__code__.co_freevars:
        return "isolate"
    original = live.__code__
    live.__code__ = new_code
    try:
        for item in reaching:
            timeout = max(5.0, 10 * durations[item.nodeid])
            why: list[str] = []
            try:
                passed = _run(item, sentinel, timeout, why)
            except MutantTimeout:
                return "timeout"
            if passed:
                continue
            # A test can fail here for what an earlier test (or this mutant) left behind in
            # the session; it kills the mutant only if it passes again once the original code
            # is back. If not, a fresh process decides (the runner's isolated run).
            clean = False
            if item.nodeid not in _POLLUTED:
                live.__code__ = original
                try:
                    clean = _run(item, sentinel, timeout)
                finally:
                    live.__code__ = new_code
            if not clean:
                _POLLUTED.add(item.nodeid)
                mutant["reaching"] = [i.nodeid for i in reaching]
                return "isolate"
            mutant["killed_by"] = item.nodeid
            mutant["why"] = why[0].splitlines()[-1][:300] if why else ""
            return "timeout" if "MutantTimeout" in "".join(why) else "killed"
        return "survived"
    finally:
        live.__code__ = original
