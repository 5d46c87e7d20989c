from steward.requests.services import request_capture


def test_capture_gives_the_team_lead_a_tied_request(world):
    r = request_capture(customer=world.customer, need=world.need, channel="phone", description="x", actor=world.alice)
    assert r.owner == world.lead
