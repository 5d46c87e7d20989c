"""The transfers API: create, list clients, open, answer, decide, complete, report."""

from __future__ import annotations

import csv
import io

import pytest

from steward.transfers.models import Transfer, TransferClient

from .factories import TransferWorld, make_transfer_world


@pytest.fixture
def tw(db) -> TransferWorld:
    return make_transfer_world(clients=5, requests_each=2)


def _create(api, tw: TransferWorld, **overrides):
    body = {
        "from_provider_id": tw.old.org.pk,
        "receivers": [{"organisation_id": tw.sunrise.org.pk}, {"organisation_id": tw.meadow.org.pk, "capacity": 2}],
        "reason": "Contract with CheapCare Ltd ended",
        **overrides,
    }
    return api.post("/transfers", body, as_=tw.council.alice)


def _opened(api, tw: TransferWorld, django_capture_on_commit_callbacks) -> int:
    transfer_id = _create(api, tw).json()["id"]
    assert api.post(
        f"/transfers/{transfer_id}/clients", {"every_active_client": True}, as_=tw.council.alice
    ).json() == {
        "added": 5,
        "already_listed": 0,
        "skipped_in_other_transfer": [],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/transfers/{transfer_id}/open", as_=tw.council.alice)
    assert response.status_code == 200, response.json()
    return transfer_id


def test_the_whole_flow_through_the_api(api, tw: TransferWorld, django_capture_on_commit_callbacks) -> None:
    created = _create(api, tw)
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "draft" and body["your_role"] == "commissioner"
    assert body["counts"]["total"] == 0
    transfer_id = _opened(api, tw, django_capture_on_commit_callbacks)

    status = api.get(f"/transfers/{transfer_id}", as_=tw.council.alice).json()
    assert status["status"] == "open"
    assert status["counts"]["pending"] == 5 and status["counts"]["without_accepting_provider"] == 5

    # Meadow sees only its two clients; it declines one and accepts the other.
    meadow_view = api.get(f"/transfers/{transfer_id}/clients", as_=tw.meadow.alice).json()
    assert meadow_view["count"] == 2
    first, second = (row["client_id"] for row in meadow_view["items"])
    declined = api.post(
        f"/transfers/{transfer_id}/decline", {"client_ids": [first], "reason": "No carers free"}, as_=tw.meadow.alice
    )
    assert declined.json() == {"declined": 1}
    accepted = api.post(
        f"/transfers/{transfer_id}/accept",
        {"client_ids": [second], "assign_to_staff_id": tw.meadow.bob.pk},
        as_=tw.meadow.alice,
    )
    assert accepted.json() == {"accepted": 1, "requests_moved": 2}
    # Sunrise accepts everything offered to it, spread over its team.
    spread = api.post(
        f"/transfers/{transfer_id}/accept",
        {"all_offered": True, "assign_team_id": tw.sunrise.team.pk},
        as_=tw.sunrise.lead,
    )
    assert spread.json() == {"accepted": 3, "requests_moved": 6}

    refused = api.post(f"/transfers/{transfer_id}/complete", as_=tw.council.alice)
    assert refused.status_code == 409
    assert refused.json()["code"] == "transfer_has_unresolved"
    assert [row["client_id"] for row in refused.json()["details"]["unresolved"]] == [first]

    kept = api.post(
        f"/transfers/{transfer_id}/clients/{first}/keep",
        {"reason": "Stays with CheapCare until March"},
        as_=tw.council.alice,
    )
    assert kept.status_code == 200 and kept.json()["status"] == "kept"
    assert kept.json()["answers_now_organisation"] == "CheapCare Ltd"
    assert kept.json()["answers_now"] == "Alice Able"

    done = api.post(f"/transfers/{transfer_id}/complete", as_=tw.council.alice).json()
    assert done["status"] == "complete"
    assert done["counts"]["without_accepting_provider"] == 0
    assert done["proof"]["holds"] is True

    report = api.get(f"/transfers/{transfer_id}/clients", as_=tw.council.alice, status="accepted").json()
    assert report["count"] == 4
    bob_row = next(row for row in report["items"] if row["client_id"] == second)
    assert (bob_row["answers_now"], bob_row["answers_now_organisation"]) == ("Bob Baker", "Meadow Homecare")


def test_the_report_downloads_as_csv(api, tw: TransferWorld, django_capture_on_commit_callbacks) -> None:
    transfer_id = _opened(api, tw, django_capture_on_commit_callbacks)
    response = api.get(f"/transfers/{transfer_id}/report.csv", as_=tw.old.lead)  # the old provider may read it
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 5
    assert {row["status"] for row in rows} == {"pending"}
    assert {row["answers_now"] for row in rows} == {"Alice Able"}
    assert all(row["customer_name"].startswith("Client") for row in rows)


def test_outsiders_cannot_see_or_touch_a_transfer(api, tw: TransferWorld, django_capture_on_commit_callbacks) -> None:
    transfer_id = _opened(api, tw, django_capture_on_commit_callbacks)
    outsider = make_transfer_world(clients=0, suffix=" 2").council.alice  # another council altogether
    for path in (
        f"/transfers/{transfer_id}",
        f"/transfers/{transfer_id}/clients",
        f"/transfers/{transfer_id}/report.csv",
    ):
        response = api.get(path, as_=outsider)
        assert response.status_code == 404 and response.json()["code"] == "transfer_not_found"
    assert api.get("/transfers", as_=outsider).json()["count"] == 0
    assert api.get(f"/transfers/{transfer_id}", as_=None).status_code == 401
    # A receiver may not decide for the commissioner; the losing provider may not answer.
    client_id = TransferClient.objects.filter(transfer_id=transfer_id).first().pk
    keep = api.post(f"/transfers/{transfer_id}/clients/{client_id}/keep", {"reason": "x"}, as_=tw.sunrise.alice)
    assert keep.status_code == 403
    answer = api.post(f"/transfers/{transfer_id}/accept", {"all_offered": True}, as_=tw.old.alice)
    assert answer.status_code == 403
    complete = api.post(f"/transfers/{transfer_id}/complete", as_=tw.sunrise.lead)
    assert complete.status_code == 403
    assert Transfer.objects.get(pk=transfer_id).status == "open"


def test_bad_input_gets_a_coded_error_and_changes_nothing(api, tw: TransferWorld) -> None:
    assert _create(api, tw, receivers=[]).status_code == 422
    unknown = _create(api, tw, from_provider_id=999_999)
    assert unknown.status_code == 404
    not_commissioner = api.post(
        "/transfers",
        {"from_provider_id": tw.old.org.pk, "receivers": [{"organisation_id": tw.meadow.org.pk}], "reason": "x"},
        as_=tw.sunrise.alice,
    )
    assert not_commissioner.status_code == 403 and not_commissioner.json()["code"] == "not_commissioner"
    assert not Transfer.objects.exists()

    transfer_id = _create(api, tw).json()["id"]
    stranger = tw.sunrise.customer.pk
    listed = api.post(
        f"/transfers/{transfer_id}/clients", {"customer_ids": [tw.clients[0].pk, stranger]}, as_=tw.council.alice
    )
    assert listed.status_code == 400
    assert listed.json()["code"] == "not_a_client_of_provider"
    assert listed.json()["details"] == {"customer_ids": [stranger]}
    assert not TransferClient.objects.exists()
    both = api.post(f"/transfers/{transfer_id}/accept", {"all_offered": True, "client_ids": [1]}, as_=tw.sunrise.alice)
    assert both.status_code == 400 and both.json()["code"] == "clients_or_all"
    empty_open = api.post(f"/transfers/{transfer_id}/open", as_=tw.council.alice)
    assert empty_open.status_code == 409 and empty_open.json()["code"] == "transfer_has_no_clients"
    bad_status = api.get(f"/transfers/{transfer_id}/clients", as_=tw.council.alice, status="lost")
    assert bad_status.status_code == 400


def test_the_report_costs_the_same_queries_for_more_clients(
    api, db, django_assert_max_num_queries, django_capture_on_commit_callbacks
) -> None:
    small = make_transfer_world(clients=3)
    large = make_transfer_world(clients=30, suffix=" 2")
    ids = []
    for world in (small, large):
        created = _create(api, world).json()["id"]
        api.post(f"/transfers/{created}/clients", {"every_active_client": True}, as_=world.council.alice)
        ids.append(created)
    for world, transfer_id in zip((small, large), ids, strict=True):
        api.get(f"/transfers/{transfer_id}/clients", as_=world.council.alice, limit=100)  # warm the token cache
        with django_assert_max_num_queries(6):
            response = api.get(f"/transfers/{transfer_id}/clients", as_=world.council.alice, limit=100)
        assert response.status_code == 200


def test_a_receiver_reads_the_clients_story_before_accepting_but_not_internal_notes(
    api, tw: TransferWorld, django_capture_on_commit_callbacks
) -> None:
    from steward.requests.models import Request
    from steward.requests.services import request_add_note

    request = Request.objects.filter(customer=tw.clients[0]).first()
    request_add_note(request=request, actor=request.owner, body="Internal: the son is difficult on the phone")
    transfer_id = _opened(api, tw, django_capture_on_commit_callbacks)
    client = TransferClient.objects.get(transfer_id=transfer_id, customer=tw.clients[0])
    receiver = tw.sunrise.alice if client.to_provider_id == tw.sunrise.org.pk else tw.meadow.alice
    detail = api.get(f"/transfers/{transfer_id}/clients/{client.pk}", as_=receiver, purpose="care_coordination").json()
    summaries = [event["summary"] for event in detail["story"]]
    assert any("Care visit" in (event["body"] or "") or "captured" in event["kind"] for event in detail["story"])
    assert any("take over your care" in s for s in summaries)
    assert not any("difficult" in (event["body"] or "") for event in detail["story"])
    other = next(w for w in (tw.sunrise, tw.meadow) if w.org.pk != client.to_provider_id)
    assert (
        api.get(
            f"/transfers/{transfer_id}/clients/{client.pk}", as_=other.alice, purpose="care_coordination"
        ).status_code
        == 404
    )
