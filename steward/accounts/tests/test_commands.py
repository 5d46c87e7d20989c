from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def test_issue_token_prints_a_token_that_works(demo, client):
    out = StringIO()
    call_command("issue_token", "dan.evans", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("stw_")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json()["name"] == "Dan Evans"


def test_issue_token_for_unknown_user_explains(demo):
    with pytest.raises(CommandError, match="no user called 'nobody'"):
        call_command("issue_token", "nobody")


def test_only_the_digest_is_stored(demo):
    from steward.accounts.models import ApiToken

    out = StringIO()
    call_command("issue_token", "dan.evans", stdout=out)
    token = out.getvalue().strip()
    assert not ApiToken.objects.filter(digest=token).exists()
    assert ApiToken.objects.filter(prefix=token[:10]).exists()
