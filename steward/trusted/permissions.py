"""What a trusted person may do for the customer who named them: the scopes, in the
words the customer chooses from, and which scopes need which others."""

from __future__ import annotations

from django.db import models


class Scope(models.TextChoices):
    SEE_REQUESTS = "see_requests", "See my requests and their conversations"
    REPLY = "reply", "Reply to my requests and say “this is still not fixed”"
    ASK = "ask", "Ask for help for me"
    SEE_PRIVACY = "see_privacy", "See who can see my information"


# Replying or asking for help without seeing the request would be writing blind: the
# person could not read the answer. So both come with seeing the requests.
NEEDS = {
    Scope.REPLY: Scope.SEE_REQUESTS,
    Scope.ASK: Scope.SEE_REQUESTS,
}

# How each scope reads inside a sentence ("Sara Khan may see your requests, ...").
SCOPE_PHRASES = {
    Scope.SEE_REQUESTS: "see your requests and their conversations",
    Scope.REPLY: "reply and say a request is still not fixed",
    Scope.ASK: "ask for help for you",
    Scope.SEE_PRIVACY: "see who can see your information",
}


def scope_order(scopes: list[str]) -> list[str]:
    """Scopes in the order the customer reads them on the page."""
    order = list(Scope.values)
    return sorted(set(scopes), key=order.index)
