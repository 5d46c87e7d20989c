"""The compiled care engine: the same plans as its source, and never a stale build."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from bench.realistic_day import generate
from steward.scheduling import compiled
from steward.scheduling.care_solver import solve_care


def _package(tmp_path: Path, *, record: str | None) -> Path:
    (tmp_path / "care_solver.py").write_text("ENGINE = 1\n")
    (tmp_path / "care_solver.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\0")
    (tmp_path / "care_solver__mypyc.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\0")
    (tmp_path / "care_check.py").write_text("")
    if record is not None:
        (tmp_path / "care_solver.compiled").write_text(record + "\n")
    return tmp_path


def test_a_build_of_the_current_source_is_kept(tmp_path: Path) -> None:
    package = _package(tmp_path, record=None)
    (package / "care_solver.compiled").write_text(compiled.source_digest(package) + "\n")

    assert compiled.remove_stale_build(package) is False
    assert len(compiled.built_files(package)) == 2


@pytest.mark.parametrize("record", ["0" * 64, None], ids=["older source", "no record"])
def test_a_build_of_another_source_is_removed_with_a_warning(tmp_path: Path, record: str | None) -> None:
    package = _package(tmp_path, record=record)

    with pytest.warns(UserWarning, match="runs as pure Python until `make install`"):
        assert compiled.remove_stale_build(package) is True

    assert compiled.built_files(package) == []
    assert not (package / "care_solver.compiled").exists()
    assert (package / "care_solver.py").exists() and (package / "care_check.py").exists()


def test_a_stale_build_that_cannot_be_removed_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = _package(tmp_path, record="0" * 64)

    def refuse(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(Path, "unlink", refuse)
    with pytest.warns(UserWarning, match="could not be removed .*read-only.*run `make install`"):
        assert compiled.remove_stale_build(package) is False


def test_the_compiled_engine_plans_exactly_as_its_source() -> None:
    if not compiled.is_compiled():
        pytest.skip("the care engine is not compiled here (`make install` compiles it; it needs a C compiler)")
    source = Path(compiled.__file__).with_name("care_solver.py")
    spec = importlib.util.spec_from_file_location("care_solver_source", source)
    assert spec is not None and spec.loader is not None
    as_source = importlib.util.module_from_spec(spec)
    sys.modules["care_solver_source"] = as_source
    try:
        spec.loader.exec_module(as_source)
        problem = generate(2)
        for seed in (0, 1):
            fast = solve_care(problem, seed=seed, iterations=200)
            slow = as_source.solve_care(problem, seed=seed, iterations=200)
            assert fast.visits == slow.visits and fast.routes == slow.routes
            assert fast.metrics == slow.metrics
    finally:
        sys.modules.pop("care_solver_source", None)


def test_a_problem_built_from_lists_and_sets_is_given_the_declared_types() -> None:
    """The compiled engine checks each field's type: a caller's lists and sets are made
    the declared tuples and frozensets when the problem is built."""
    from steward.scheduling.care_problem import CareProblem, CarerDay, VisitNeed

    need = VisitNeed(
        key="v",
        place=0,
        duration=30,
        preferred=[480, 510],  # type: ignore[arg-type]
        acceptable=[450, 540],  # type: ignore[arg-type]
        skills={"hoist"},  # type: ignore[arg-type]
        usual_carers=[1],  # type: ignore[arg-type]
        excluded_carers={2},  # type: ignore[arg-type]
    )
    carer = CarerDay(id=1, place=0, shift_start=420, shift_end=900, skills={"hoist"})  # type: ignore[arg-type]
    problem = CareProblem(carers=[carer], visits=[need], travel={"car": ((0,),)})  # type: ignore[arg-type]

    assert need.preferred == (480, 510) and need.acceptable == (450, 540) and need.gap == (0, 0)
    assert need.skills == frozenset({"hoist"}) and need.excluded_carers == frozenset({2})
    assert need.usual_carers == (1,) and carer.skills == frozenset({"hoist"})
    assert problem.carers == (carer,) and problem.travel == {"car": [[0]]}
    (planned,) = solve_care(problem, seed=0, iterations=10).visits
    assert planned.parts and planned.parts[0].carer == 1 and planned.parts[0].start == 480
