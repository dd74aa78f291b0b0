"""What every benchmark here shares: a fake service in its own process, memory, figures."""

import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_fake(system: str, *args: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """`python -m integrations.<system>.fake ARGS` on a free port, and the base URL it prints;
    in its own process, as the real service would be, so it does not weigh on our figures."""
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own module
        [sys.executable, "-m", f"integrations.{system}.fake", *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def print_figures(figures: dict) -> None:
    """The last line of every benchmark: key=value figures, for scripts to read."""
    print(" ".join(f"{key}={value}" for key, value in figures.items()))
