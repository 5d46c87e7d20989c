"""The care engine compiled to C with mypyc, and the guard against a stale build.

``care_solver`` is plain, fully typed Python. ``make install`` (so ``make run`` and
``make test``) compiles it with mypyc, which ships with mypy: the extension modules land
beside the source, where Python's import prefers them, with the same plans for the same
seed about three times faster (docs/scheduling.md, "Compiled with mypyc"). Where there
is no C compiler the build says so and the engine stays pure Python; nothing else
changes.

A compiled module shadows its source, so an edit to ``care_solver.py`` without a new
build would run the old engine. The build records the source's SHA-256 beside it
(``care_solver.compiled``); importing ``steward.scheduling`` removes a build whose
record does not match the source (``remove_stale_build``), so an edit takes effect at
once, pure Python until ``make install`` compiles it again.

    python -m steward.scheduling.compiled          # build (what make install runs)
    python -m steward.scheduling.compiled --remove # back to pure Python
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULE = "care_solver"
RECORD_SUFFIX = ".compiled"


def _source(package: Path) -> Path:
    return package / f"{MODULE}.py"


def _record(package: Path) -> Path:
    return package / f"{MODULE}{RECORD_SUFFIX}"


def built_files(package: Path = HERE) -> list[Path]:
    """The compiled extension modules of the engine in ``package`` (the module and
    mypyc's shared support module), for any Python version."""
    suffixes = (*importlib.machinery.EXTENSION_SUFFIXES, ".so", ".pyd")
    return sorted(
        p for p in package.iterdir() if p.name.startswith(MODULE) and p.name.endswith(suffixes) and p.is_file()
    )


def source_digest(package: Path = HERE) -> str:
    return hashlib.sha256(_source(package).read_bytes()).hexdigest()


def remove_build(package: Path = HERE) -> list[Path]:
    """Remove the compiled engine from ``package``; returns what was removed."""
    removed = built_files(package)
    for path in removed:
        path.unlink(missing_ok=True)
    _record(package).unlink(missing_ok=True)
    return removed


def remove_stale_build(package: Path = HERE) -> bool:
    """Remove a compiled engine built from another version of the source (or with no
    record of its source). True if one was removed."""
    if not built_files(package):
        return False
    record = _record(package)
    if record.exists() and record.read_text().strip() == source_digest(package):
        return False
    try:
        remove_build(package)
    except OSError as exc:  # e.g. an installation the process may not write to
        warnings.warn(
            f"The compiled care engine is older than care_solver.py and could not be removed ({exc}); "
            "run `make install` to compile it again.",
            stacklevel=2,
        )
        return False
    warnings.warn(
        "The compiled care engine was built from an older care_solver.py and was removed; "
        "the engine runs as pure Python until `make install` compiles it again.",
        stacklevel=2,
    )
    return True


def is_compiled() -> bool:
    """Whether the care engine imported in this process is the compiled one."""
    from steward.scheduling import care_solver

    return not str(getattr(care_solver, "__file__", "")).endswith(".py")


def build(package: Path = HERE) -> bool:
    """Compile the engine with mypyc into ``package``. False (and the reason printed) if
    it could not be built; the engine then stays pure Python."""
    remove_build(package)
    root = package.parents[1]  # the project: the module is steward.scheduling.care_solver
    relative = _source(package).relative_to(root).as_posix()
    with tempfile.TemporaryDirectory() as build_dir:
        script = (
            "from setuptools import setup\n"
            "from mypyc.build import mypycify\n"
            "setup(name='steward_engine', packages=[], py_modules=[],\n"
            f"      ext_modules=mypycify([{relative!r}], opt_level='3', target_dir={build_dir!r}))\n"
        )
        done = subprocess.run(  # noqa: S603 - our own interpreter on our own source
            [sys.executable, "-c", script, "build_ext", "--build-lib", build_dir, "--build-temp", build_dir],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        made = [p for p in Path(build_dir).rglob(f"{MODULE}*") if p.suffix in (".so", ".pyd")]
        if done.returncode != 0 or not made:
            print(
                "The care engine could not be compiled (it runs as pure Python, about three times slower):\n"
                + (done.stderr or done.stdout)[-2000:],
                file=sys.stderr,
            )
            return False
        for path in made:
            shutil.copy2(path, package / path.name)
    _record(package).write_text(source_digest(package) + "\n")
    return True


def main(argv: list[str]) -> int:
    if "--remove" in argv:
        removed = remove_build()
        print(f"Removed {len(removed)} compiled file(s): the care engine runs as pure Python.")
        return 0
    if build():
        print("The care engine is compiled (mypyc).")
    return 0  # a machine without a C compiler still runs Steward


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
