"""Runs every mutant of the modules in scope against the tests that reach them.

Mutants are written to a copy of the repository (`[run] tree` in config.toml, refreshed with
rsync before each run), never to the checkout: other people edit and test it meanwhile.
One mutant at a time, at low priority, on SQLite; the copy's file is restored after each
mutant (try/finally) and the whole copy is re-synced at the next start anyway.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .operators import Mutant, apply, find_mutants

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONFIG = HERE / "config.toml"
EQUIVALENT = HERE / "equivalent.md"
# `- `key`: why` lines of equivalent.md; the key is Mutant.key.
_LISTED = re.compile(r"^\s*[-*]\s+`(?P<key>[^`]+)`\s*[:—-]\s*(?P<why>.+)$")
_SERVER_ENV = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "PYTEST_ADDOPTS")


@dataclass
class Result:
    mutant: Mutant
    status: str  # killed, survived, timeout, equivalent
    seconds: float
    why: str = ""


def load_config() -> dict:
    return tomllib.loads(CONFIG.read_text())


def load_equivalent() -> dict[str, str]:
    if not EQUIVALENT.exists():
        return {}
    found = {}
    for line in EQUIVALENT.read_text().splitlines():
        if match := _LISTED.match(line):
            found[match["key"]] = match["why"].strip()
    return found


def sync_tree(tree: Path) -> None:
    tree.mkdir(parents=True, exist_ok=True)
    excludes = [".venv", "var", ".git", "__pycache__", "*.pyc", ".env", "node_modules",
                "*.egg-info", ".schemathesis", "control"]
    if shutil.which("rsync"):
        cmd = ["rsync", "-a", "--delete", *[f"--exclude={e}" for e in excludes], f"{ROOT}/",
               f"{tree}/"]
        subprocess.run(cmd, check=True)  # noqa: S603 - our own paths
        return
    shutil.rmtree(tree)  # no rsync (a bare machine): a full copy each time
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(*excludes))


def _env(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SERVER_ENV}
    env.update({
        "PYTHONPATH": str(tree),
        "EDUDESK_VAR_DIR": str(tree / "var" / "test"),
        "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
    })
    return env


def make_pristine_db(tree: Path) -> None:
    """A migrated SQLite database, copied in as the test database before each run: pytest
    --reuse-db then skips the migrations, a third of a short run (tests that flush tables
    only ever flush the copy)."""
    pristine = tree / "var" / "pristine.sqlite3"
    pristine.unlink(missing_ok=True)
    pristine.parent.mkdir(parents=True, exist_ok=True)
    env = {**_env(tree), "DATABASE_URL": f"sqlite:///{pristine}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=tree, env=env,  # noqa: S603
                   check=True)


def _fresh_test_db(tree: Path) -> None:
    test_db = tree / "var" / "test" / "test.sqlite3"
    test_db.parent.mkdir(parents=True, exist_ok=True)
    for extra in ("-wal", "-shm", "-journal"):
        Path(f"{test_db}{extra}").unlink(missing_ok=True)
    shutil.copyfile(tree / "var" / "pristine.sqlite3", test_db)


# Plugins no test in scope needs; hypothesis and schemathesis alone cost ~1 s of start-up.
_PLUGINS_OFF = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:schemathesis",
                "-p", "no:anyio"]


def _pytest(tree: Path, tests: list[str], deselect: list[str], timeout: float | None,
            extra: list[str] = (), env: dict | None = None,
            stream: bool = False) -> tuple[int | None, float, str]:
    """pytest -x in the copy with this checkout's interpreter; (exit code or None on timeout)."""
    existing = [t for t in tests if (tree / t.split("::")[0]).exists()]
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "--reuse-db", *_PLUGINS_OFF, *extra,
           "-m", "not e2e", *[f"--deselect={d}" for d in deselect], *existing]
    _fresh_test_db(tree)
    started = time.monotonic()
    process = subprocess.Popen(cmd, cwd=tree, env={**_env(tree), **(env or {})},  # noqa: S603
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        if stream:  # the in-process session: its progress as it comes
            lines = []
            for line in process.stdout:
                lines.append(line)
                if line.startswith(("  [", "      by ")):
                    print(line, end="", flush=True)
            process.wait()
            return process.returncode, time.monotonic() - started, "".join(lines)
        out, _ = process.communicate(timeout=timeout)
        return process.returncode, time.monotonic() - started, out
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
        return None, time.monotonic() - started, out
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise


def _check_tree(tree: Path, module: str) -> None:
    """The copy, not the checkout, must be what the tests import."""
    # The top-level package alone: importing a subpackage may need Django set up.
    dotted = module.split("/")[0]
    code = f"import importlib.util; print(importlib.util.find_spec({dotted!r}).origin)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tree, env=_env(tree),  # noqa: S603
                         capture_output=True, text=True, check=True).stdout.strip()
    if not Path(out).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"{dotted} is imported from {out}, not from the copy {tree}")


def _forget_bytecode(source: Path) -> None:
    for cached in (source.parent / "__pycache__").glob(f"{source.stem}.*.pyc"):
        cached.unlink(missing_ok=True)


def run_module(tree: Path, module: str, spec: dict, *, earlier: dict[str, str],
               equivalent: dict[str, str], timeout_factor: float, verbose: bool) -> list[Result]:
    """All of the module's mutants in one pytest session (mutation.inprocess), then those it
    cannot swap in place (class-level code) one fresh process each."""
    target = tree / module
    original = target.read_text()
    mutants = find_mutants(module, original)
    tests, deselect = spec["tests"], spec.get("deselect", [])
    todo = [m for m in mutants if m.key not in equivalent
            and earlier.get(m.key) not in ("killed", "timeout")]
    plan = {"module": module.removesuffix(".py").replace("/", "."), "path": module, "mutants": [
        {"key": m.key, "target": m.target, "start": m.start[0], "end": m.end[0], "line": m.line,
         "operator": m.operator, "label": f"{m.original} -> {m.replacement}",
         "source": apply(original, m)} for m in todo]}
    plan_file, results_file = tree / "var" / "plan.json", tree / "var" / "results.json"
    plan_file.write_text(json.dumps(plan))
    results_file.unlink(missing_ok=True)
    print(f"{module}: {len(mutants)} mutants, {len(todo)} to run", flush=True)
    env = {"MUTATION_PLAN": str(plan_file), "MUTATION_RESULTS": str(results_file)}
    if spec.get("redis") and os.environ.get("MUTATION_REDIS_URL"):
        # Modules with a Redis side (the rate budget) reach it only with a server.
        env["REDIS_URL"] = os.environ["MUTATION_REDIS_URL"]
    if verbose:
        env["MUTATION_VERBOSE"] = "1"
    code, seconds, out = _pytest(tree, tests, deselect, timeout=None, stream=True,
                                 extra=["-p", "mutation.inprocess"], env=env)
    answer = json.loads(results_file.read_text()) if results_file.exists() else {}
    if "results" not in answer:
        print(out[-5000:], *answer.get("why", []), sep="\n")
        raise SystemExit(f"{module}: the tests fail without any mutant ({answer.get('clean_failed')})")
    ran = answer["results"]
    results = []
    clean_seconds = None
    for mutant in mutants:
        if mutant.key in equivalent:
            results.append(Result(mutant, "equivalent", 0.0, equivalent[mutant.key]))
            continue
        if earlier.get(mutant.key) in ("killed", "timeout"):
            # --survivors: tests were only added since, so what was killed stays killed.
            results.append(Result(mutant, earlier[mutant.key], 0.0, "earlier run"))
            continue
        status = ran[mutant.key]["status"]
        if status == "isolate":
            if clean_seconds is None:
                _, clean_seconds, _ = _pytest(tree, tests, deselect, timeout=None)
            try:
                target.write_text(apply(original, mutant))
                _forget_bytecode(target)  # checked by size and mtime only: a mutant could hit it
                # The tests that execute the mutant's lines when the session knew them.
                code, _, _ = _pytest(tree, ran[mutant.key].get("reaching") or tests, deselect,
                                     timeout=clean_seconds * timeout_factor + 10)
            finally:
                target.write_text(original)
                _forget_bytecode(target)
            status = "timeout" if code is None else "survived" if code == 0 else "killed"
            if verbose or status == "survived":
                print(f"  [isolated] {status:8} {module}:{mutant.line} {mutant.operator}: "
                      f"{mutant.original} -> {mutant.replacement}", flush=True)
        results.append(Result(mutant, status, ran[mutant.key]["seconds"]))
    print(f"{module}: in-process session {seconds:.0f}s", flush=True)
    return results


def score(results: list[Result]) -> tuple[int, int, int, float]:
    killed = sum(r.status in ("killed", "timeout") for r in results)
    equivalent = sum(r.status == "equivalent" for r in results)
    counted = len(results) - equivalent
    return killed, counted, equivalent, (100.0 * killed / counted if counted else 100.0)


def main(argv: list[str] | None = None) -> int:
    config = load_config()
    parser = argparse.ArgumentParser(prog="python -m mutation", description=__doc__)
    parser.add_argument("modules", nargs="*", help="paths as in config.toml (default: all)")
    parser.add_argument("--list", action="store_true", help="print the mutants, run nothing")
    parser.add_argument("--survivors", action="store_true",
                        help="re-run only the mutants that survived the last run of each module")
    parser.add_argument("--tree", default=config["run"]["tree"])
    parser.add_argument("--skip-tests", metavar="GLOB", default="",
                        help="leave out test files matching GLOB (e.g. '*test_mutants_*' to "
                             "measure the suite without the tests written against survivors)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every mutant's outcome")
    args = parser.parse_args(argv)
    modules = args.modules or list(config["modules"])
    unknown = [m for m in modules if m not in config["modules"]]
    if unknown:
        parser.error(f"not in mutation/config.toml: {unknown}")
    equivalent = load_equivalent()
    if args.list:
        for module in modules:
            for m in find_mutants(module, (ROOT / module).read_text()):
                mark = "  (equivalent)" if m.key in equivalent else ""
                print(f"{module}:{m.line} {m.operator}: `{m.key}`{mark}")
        return 0
    if os.nice(0) < 10:
        os.nice(10 - os.nice(0))
    tree = Path(args.tree)
    results_dir = ROOT / "var" / "mutation"
    results_dir.mkdir(parents=True, exist_ok=True)
    sync_tree(tree)
    make_pristine_db(tree)
    summary = {}
    for module in modules:
        _check_tree(tree, module)
        saved = results_dir / (module.replace("/", "__") + ".json")
        earlier = json.loads(saved.read_text()) if args.survivors and saved.exists() else {}
        spec = dict(config["modules"][module])
        if args.skip_tests:
            spec["tests"] = [t for t in spec["tests"] if not fnmatch.fnmatch(t, args.skip_tests)]
        results = run_module(tree, module, spec, earlier=earlier,
                             equivalent=equivalent, timeout_factor=config["run"]["timeout_factor"],
                             verbose=args.verbose)
        saved.write_text(json.dumps({r.mutant.key: r.status for r in results}, indent=1))
        killed, counted, equal, percent = score(results)
        survivors = [r for r in results if r.status in ("survived", "no-test")]
        print(f"{module}: {killed}/{counted} killed ({percent:.1f}%), {equal} equivalent, "
              f"{len(survivors)} survived", flush=True)
        for r in survivors:
            print(f"  {r.status} {module}:{r.mutant.line} `{r.mutant.key}`")
        summary[module] = (killed, counted, equal, percent)
    shutil.rmtree(tree / "var", ignore_errors=True)
    totals = [sum(v[i] for v in summary.values()) for i in range(3)]
    pairs = " ".join(f"{m.removesuffix('.py').replace('/', '.')}={v[3]:.1f}" for m, v in summary.items())
    overall = 100.0 * totals[0] / totals[1] if totals[1] else 100.0
    print(f"modules={len(summary)} mutants={totals[1] + totals[2]} killed={totals[0]} "
          f"equivalent={totals[2]} score={overall:.1f} {pairs}")
    return 0
