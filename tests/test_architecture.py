"""The architecture's nevers are import-linter contracts; these tests keep them honest."""

import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
ADAPTERS = {"zendesk", "slack", "gmail", "credly", "okta"}


def _contract(name: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c["name"] == name)


def test_every_kit_module_is_under_the_kit_contract():
    """A new kit module outside the contract could import an adapter unnoticed."""
    kit = {f"integrations.{p.stem}" for p in (ROOT / "integrations").iterdir()
           if p.stem not in ADAPTERS | {"__init__", "migrations", "__pycache__"}
           and (p.suffix == ".py" or (p / "__init__.py").exists())}
    listed = set(_contract("The integration kit imports no adapter and no domain app")
                 ["source_modules"])
    assert kit <= listed, f"add to the kit contract in pyproject.toml: {sorted(kit - listed)}"


def _lint_imports() -> subprocess.CompletedProcess:
    # Our own venv's lint-imports on this checkout: no untrusted input.
    return subprocess.run([str(LINT_IMPORTS)], cwd=ROOT, capture_output=True,  # noqa: S603
                          text=True, timeout=120)


def test_a_domain_app_importing_an_adapter_breaks_the_build():
    probe = ROOT / "tickets" / f"_probe_{uuid.uuid4().hex[:8]}.py"
    probe.write_text("from integrations.zendesk import delivery  # noqa: F401\n")
    try:
        result = _lint_imports()
    finally:
        probe.unlink()
    assert result.returncode != 0
    assert "Domain apps never import an adapter BROKEN" in result.stdout
    assert probe.stem in result.stdout


def test_the_contracts_hold():
    result = _lint_imports()
    assert result.returncode == 0, result.stdout[-3000:]
