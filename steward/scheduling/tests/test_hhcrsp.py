"""Reading and writing the HHCRSP format, and the independent checker."""

from __future__ import annotations

import json

import pytest

from steward.scheduling import hhcrsp
from steward.scheduling.hhcrsp_check import check, main
from steward.scheduling.tests.instances import tiny_instance, tiny_solution, with_change


def test_instance_reads_windows_durations_and_synchronisation() -> None:
    instance = hhcrsp.instance_from_dict(tiny_instance(), name="tiny")
    p1, p2, p3 = instance.patients
    assert (p1.earliest, p1.latest, p1.matrix_index) == (0, 30, 1)
    assert p1.needs == (hhcrsp.ServiceNeed("s1", 10.0),)  # the service's default duration
    assert p2.needs == (hhcrsp.ServiceNeed("s1", 5.0), hhcrsp.ServiceNeed("s2", 20.0))
    assert p2.sync == hhcrsp.Sync("simultaneous")
    assert p3.sync == hhcrsp.Sync("sequential", 5.0, 15.0)
    assert instance.caregivers[1].abilities == frozenset({"s1", "s2"})
    assert instance.travel(2, 3) == 12


def test_instance_refuses_a_double_visit_without_synchronisation() -> None:
    data = with_change(tiny_instance(), lambda d: d["patients"][1].pop("synchronization"))
    with pytest.raises(hhcrsp.FormatError, match="synchronisation"):
        hhcrsp.instance_from_dict(data)


def test_instance_refuses_a_matrix_of_the_wrong_size() -> None:
    data = with_change(tiny_instance(), lambda d: d["distances"].pop())
    with pytest.raises(hhcrsp.FormatError, match="4×4"):
        hhcrsp.instance_from_dict(data)


def test_solution_round_trips_through_the_format(tmp_path) -> None:
    solution = hhcrsp.solution_from_dict(tiny_solution())
    path = tmp_path / "out" / "tiny.json"
    hhcrsp.write_solution(solution, path, instance_name="tiny.json")
    written = json.loads(path.read_text())
    assert written["instance"] == "tiny.json"
    assert written["routes"][0]["locations"][1] == {
        "patient_id": "p2",
        "service_id": "s1",
        "arrival_time": 35,
        "departure_time": 40,
    }
    assert hhcrsp.solution_from_dict(written) == solution


def test_checker_accepts_the_hand_made_plan_and_costs_it_as_the_literature_does() -> None:
    report = check(tiny_instance(), tiny_solution())
    assert report.errors == []
    assert report.distance == 129
    assert (report.total_tardiness, report.max_tardiness) == (7, 7)
    assert report.cost == pytest.approx(143 / 3)


def _location(solution, caregiver: int, visit: int):
    return solution["routes"][caregiver]["locations"][visit]


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda s: _location(s, 0, 0).update(arrival_time=5, departure_time=15), "cannot arrive before 10"),
        (lambda s: s["routes"][0]["locations"].pop(0), "p1 needs s1 once and gets it 0 times"),
        (lambda s: _location(s, 0, 0).update(departure_time=18), "less than 10"),
        (lambda s: _location(s, 1, 0).update(arrival_time=36, departure_time=56), "must start together"),
        (lambda s: _location(s, 1, 1).update(arrival_time=80, departure_time=90), "not 5–15"),
        (lambda s: s["routes"][1]["locations"].append(dict(_location(s, 0, 0))), "gets it 2 times"),
        (lambda s: s["routes"][1].update(caregiver_id="c9"), "c9 is not in the instance"),
    ],
    ids=["travel", "missing", "too-short", "simultaneous", "sequential", "twice", "unknown-carer"],
)
def test_checker_refuses_a_plan_that_breaks_a_rule(change, complaint) -> None:
    report = check(tiny_instance(), with_change(tiny_solution(), change))
    assert not report.valid
    assert any(complaint in error for error in report.errors), report.errors


def test_checker_refuses_a_service_before_the_window_opens() -> None:
    instance = with_change(tiny_instance(), lambda d: d["patients"][0].update(time_window=[12, 30]))
    report = check(instance, tiny_solution())
    assert any("before the window opens at 12" in error for error in report.errors)


def test_checker_refuses_a_carer_without_the_skill() -> None:
    instance = with_change(tiny_instance(), lambda d: d["caregivers"][1].update(abilities=["s1"]))
    report = check(instance, tiny_solution())
    assert any("c2 gives s2 to p2 without the ability" in error for error in report.errors)


def test_checker_refuses_one_carer_giving_both_services_of_a_double_visit() -> None:
    solution = {
        "routes": [
            {
                "caregiver_id": "c2",
                "locations": [
                    {"patient_id": "p3", "service_id": "s1", "arrival_time": 50, "departure_time": 60},
                    {"patient_id": "p3", "service_id": "s2", "arrival_time": 60, "departure_time": 70},
                ],
            }
        ]
    }
    report = check(tiny_instance(), solution)
    assert any("c2 gives both services" in error for error in report.errors)


def test_checker_command_line_prints_the_cost(tmp_path, capsys) -> None:
    (tmp_path / "i.json").write_text(json.dumps(tiny_instance()))
    (tmp_path / "s.json").write_text(json.dumps(tiny_solution()))
    assert main([str(tmp_path / "i.json"), str(tmp_path / "s.json")]) == 0
    assert '"total_cost": 47.667' in capsys.readouterr().out
