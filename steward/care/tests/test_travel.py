"""The speed model, imported travel times overriding it for their travel mode, and
importing them from CSV and OSRM (per mode, idempotent, refused whole with line numbers)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from steward.care.models import TravelTime
from steward.care.travel import model_minutes, place_key, travel_matrix
from steward.care.travel_import import parse_csv, travel_times_import
from steward.organisations.tests.factories import OrganisationFactory

HOME = (53.4808, -2.2426)
NEAR = (53.4900, -2.2426)  # about 1 km north


def test_place_key_rounds_to_five_places():
    assert place_key(53.480812345, -2.24264999) == "53.48081,-2.24265"
    assert place_key(53.4808, -2.2426) == "53.48080,-2.24260"


def test_the_speed_model_by_mode_with_a_minimum_between_places():
    # ~1.02 km straight, ×1.3 road: car 30 km/h -> 3 min, but at least 5 to park.
    assert model_minutes(HOME, NEAR, "car") == 5
    assert model_minutes(HOME, NEAR, "walk") == 17
    assert model_minutes(HOME, NEAR, "bicycle") == 6
    assert model_minutes(HOME, NEAR, "public_transport") == 10
    assert model_minutes(HOME, HOME, "walk") == 0
    far = (53.5808, -2.2426)  # ~11 km
    assert model_minutes(HOME, far, "car") == 29
    with pytest.raises(ValueError):
        model_minutes(HOME, far, "horse")


@pytest.mark.django_db
def test_imported_times_override_the_model_for_their_mode_in_one_query(django_assert_num_queries):
    org = OrganisationFactory()
    TravelTime.objects.create(organisation=org, from_place=place_key(*HOME), to_place=place_key(*NEAR), minutes=9)
    with django_assert_num_queries(1):
        matrix = travel_matrix(org, [HOME, NEAR, HOME], "car")
    assert matrix == [[0, 9, 0], [5, 0, 5], [0, 9, 0]]
    # A row made without a mode is a driving time; walkers still ask, and find none.
    with django_assert_num_queries(1):
        assert travel_matrix(org, [HOME, NEAR], "walk") == [[0, 17], [17, 0]]
    with django_assert_num_queries(0):
        assert travel_matrix(org, [HOME, HOME], "car") == [[0, 0], [0, 0]]
    other = OrganisationFactory()
    assert travel_matrix(other, [HOME, NEAR], "car") == [[0, 5], [5, 0]]
    with pytest.raises(ValueError, match="Unknown travel mode 'horse'"), django_assert_num_queries(0):
        travel_matrix(org, [HOME, NEAR], "horse")


def _run(path: Path, org_slug: str, *extra: str) -> str:
    out = StringIO()
    call_command("import_travel_times", str(path), "--organisation", org_slug, *extra, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_csv_import_is_idempotent_and_updates_changes(tmp_path):
    org = OrganisationFactory()
    path = tmp_path / "times.csv"
    path.write_text(
        "from_lat,from_lon,to_lat,to_lon,minutes\n53.4808,-2.2426,53.49,-2.2426,7.2\n53.49,-2.2426,53.4808,-2.2426,6\n"
    )
    first = _run(path, org.slug)
    assert "2 new, 0 changed, 0 already up to date" in first
    again = _run(path, org.slug)
    assert "0 new, 0 changed, 2 already up to date" in again
    assert TravelTime.objects.get(from_place=place_key(*HOME)).minutes == 8  # rounded up
    path.write_text("to_lat,to_lon,from_lat,from_lon,minutes\n53.49,-2.2426,53.4808,-2.2426,11\n")
    assert "0 new, 1 changed" in _run(path, org.slug)
    assert TravelTime.objects.get(from_place=place_key(*HOME)).minutes == 11


@pytest.mark.django_db
def test_a_bad_csv_is_refused_whole_with_line_numbers(tmp_path):
    org = OrganisationFactory()
    path = tmp_path / "times.csv"
    path.write_text(
        "from_lat,from_lon,to_lat,to_lon,minutes\n"
        "53.4808,-2.2426,53.49,-2.2426,7\n"
        "93.4808,-2.2426,53.49,-2.2426,7\n"
        "53.4808,-2.2426,53.49,-2.2426,abc\n"
        "53.4808,-2.2426,53.49,-2.2426,8\n"
    )
    with pytest.raises(CommandError) as refused:
        _run(path, org.slug)
    text = str(refused.value)
    assert "nothing was changed" in text
    assert "line 3: latitude 93.4808" in text.replace("'", "")
    assert "line 4:" in text and "line 5: the pair" in text and "line 2" in text
    assert not TravelTime.objects.exists()
    path.write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="line 1: the header must name"):
        _run(path, org.slug)
    with pytest.raises(CommandError, match="no organisation"):
        _run(path, "nobody")


@pytest.mark.django_db
def test_an_osrm_table_is_imported_in_minutes_skipping_no_route(tmp_path):
    org = OrganisationFactory()
    table = {
        "code": "Ok",
        "durations": [[0, 421.0, None], [400.2, 0, 60]],
        "sources": [{"location": [-2.2426, 53.4808]}, {"location": [-2.2426, 53.49]}],
        "destinations": [
            {"location": [-2.2426, 53.4808]},
            {"location": [-2.2426, 53.49]},
            {"location": [-2.25, 53.5]},
        ],
    }
    path = tmp_path / "table.json"
    path.write_text(json.dumps(table))
    said = _run(path, org.slug, "--source", "OSRM table, 2026-11")
    assert "3 new" in said and "1 with no route" in said and "2 from a place to itself" in said
    row = TravelTime.objects.get(from_place=place_key(*HOME), to_place=place_key(*NEAR))
    assert row.minutes == 8 and row.source == "OSRM table, 2026-11"
    assert "3 already up to date" in _run(path, org.slug, "--source", "OSRM table, 2026-11")


@pytest.mark.django_db
def test_a_bad_osrm_table_is_refused(tmp_path):
    org = OrganisationFactory()
    path = tmp_path / "table.json"
    path.write_text(
        json.dumps(
            {
                "code": "Ok",
                "durations": [[0, 1]],
                "sources": [{"location": [-2.2, 53.4]}],
                "destinations": [{"location": [-2.2, 53.4]}],
            }
        )
    )
    with pytest.raises(CommandError, match=r"durations\[0\] must have 1 entries"):
        _run(path, org.slug)
    path.write_text('{"code": "NoTable", "message": "bad coordinates"}')
    with pytest.raises(CommandError, match="OSRM answered 'NoTable'"):
        _run(path, org.slug)
    path.write_text("{not json")
    with pytest.raises(CommandError, match="line 1: not valid JSON"):
        _run(path, org.slug)


def _table(path: Path, there: float, back: float) -> Path:
    path.write_text(
        f"from_lat,from_lon,to_lat,to_lon,minutes\n53.4808,-2.2426,53.49,-2.2426,{there}\n"
        f"53.49,-2.2426,53.4808,-2.2426,{back}\n"
    )
    return path


@pytest.mark.django_db
def test_a_walking_table_is_for_walkers_and_a_driving_one_for_drivers(tmp_path, django_assert_num_queries):
    org = OrganisationFactory()
    said = _run(_table(tmp_path / "foot.csv", 14, 15), org.slug, "--mode", "walk")
    assert said.startswith(f"Imported 2 on-foot travel times for {org.name} from foot.csv: 2 new")
    with django_assert_num_queries(1):
        assert travel_matrix(org, [HOME, NEAR], "walk") == [[0, 14], [15, 0]]
    assert travel_matrix(org, [HOME, NEAR], "car") == [[0, 5], [5, 0]]  # the model
    assert travel_matrix(org, [HOME, NEAR], "bicycle") == [[0, 6], [6, 0]]

    said = _run(_table(tmp_path / "car.csv", 7, 8), org.slug)  # car by default
    assert said.startswith("Imported 2 car travel times")
    assert travel_matrix(org, [HOME, NEAR], "car") == [[0, 7], [8, 0]]
    assert travel_matrix(org, [HOME, NEAR], "walk") == [[0, 14], [15, 0]]
    summary = travel_times_import(
        organisation=org, parsed=parse_csv((tmp_path / "foot.csv").read_text()), source="CSV file foot.csv", mode="walk"
    )
    assert str(summary) == "on-foot travel times: 0 new, 0 changed, 2 already up to date"


@pytest.mark.django_db
def test_the_same_pairs_for_two_modes_keep_both_and_reimporting_is_idempotent_per_mode(tmp_path):
    org = OrganisationFactory()
    _run(_table(tmp_path / "car.csv", 7, 8), org.slug, "--mode", "car")
    assert "2 new" in _run(_table(tmp_path / "bike.csv", 10, 11), org.slug, "--mode", "bicycle")
    assert sorted(TravelTime.objects.values_list("mode", "minutes")) == [
        ("bicycle", 10),
        ("bicycle", 11),
        ("car", 7),
        ("car", 8),
    ]
    # Again for each mode: nothing new, nothing changed, and the other mode untouched.
    assert "0 new, 0 changed, 2 already up to date" in _run(tmp_path / "car.csv", org.slug, "--mode", "car")
    assert "0 new, 0 changed, 2 already up to date" in _run(tmp_path / "bike.csv", org.slug, "--mode", "bicycle")
    # A changed bicycle table changes the bicycle times only.
    assert "0 new, 2 changed" in _run(_table(tmp_path / "bike.csv", 12, 13), org.slug, "--mode", "bicycle")
    assert sorted(TravelTime.objects.values_list("mode", "minutes")) == [
        ("bicycle", 12),
        ("bicycle", 13),
        ("car", 7),
        ("car", 8),
    ]
    assert TravelTime.objects.count() == 4


@pytest.mark.django_db
def test_an_unknown_mode_is_refused_and_changes_nothing(tmp_path):
    org = OrganisationFactory()
    _run(_table(tmp_path / "car.csv", 7, 8), org.slug)
    with pytest.raises(CommandError, match="invalid choice: 'horse'"):
        _run(_table(tmp_path / "horse.csv", 30, 30), org.slug, "--mode", "horse")
    with pytest.raises(ValueError, match="Unknown travel mode 'horse'"):
        travel_times_import(
            organisation=org, parsed=parse_csv((tmp_path / "horse.csv").read_text()), source="", mode="horse"
        )
    assert sorted(TravelTime.objects.values_list("mode", "minutes")) == [("car", 7), ("car", 8)]
