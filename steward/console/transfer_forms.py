"""Forms for the transfer pages. Like the other console forms they check shape only
(present, a number, one of the choices); whether the change is allowed is for
`steward.transfers.services` to say, so the pages and the API follow the same rules."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from steward.organisations.models import Organisation, StaffMember, Team
from steward.transfers.services import MAX_REASON

# A pasted list of customer numbers longer than this belongs in the API (or in
# "every active client").
MAX_PASTED_IDS = 5_000


class TransferForm(forms.Form):
    """A new transfer: which provider the clients leave, who receives them (with an
    optional capacity each), why, and how long receivers have to answer.

    Receivers are one checkbox and one capacity box per organisation, so the form needs
    no JavaScript to name several."""

    from_provider = forms.TypedChoiceField(
        label="Which provider are the clients leaving?",
        help_text="Only providers your organisation commissions active services from are listed.",
        coerce=int,
        error_messages={
            "required": "Choose the provider the clients are leaving.",
            "invalid_choice": "Choose one of the providers in the list.",
        },
    )
    reason = forms.CharField(
        label="Why are the clients moving?",
        help_text="Receiving providers read this, and it goes on each client's story.",
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the clients are moving."},
    )
    note_for_receivers = forms.CharField(
        label="What the receiving providers need to know (optional)",
        help_text="For example who to call about keys, medication or the first visits.",
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    respond_within_days = forms.IntegerField(
        label="Working days each provider has to answer",
        help_text="Between 1 and 60. Saturdays and Sundays are not counted. Unanswered offers come back to you.",
        min_value=1,
        max_value=60,
        initial=5,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input--short"}),
        error_messages={
            "required": "Say how many working days the providers have to answer.",
            "min_value": "Give the providers at least 1 working day.",
            "max_value": "Give the providers at most 60 working days.",
        },
    )

    def __init__(
        self, *args: Any, providers: list[Organisation], organisations: list[Organisation], **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "transfer-%s")
        super().__init__(*args, **kwargs)
        self.organisations = {org.pk: org for org in organisations}
        self.fields["from_provider"].choices = [  # type: ignore[attr-defined]
            ("", "Choose…"),
            *((org.pk, org.name) for org in providers),
        ]
        for org in organisations:
            self.fields[f"receive_{org.pk}"] = forms.BooleanField(label=org.name, required=False)
            self.fields[f"capacity_{org.pk}"] = forms.IntegerField(
                label=f"Most clients {org.name} can take (optional)",
                required=False,
                min_value=1,
                max_value=100_000,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input--short"}),
                error_messages={"min_value": "A capacity must be at least 1; leave it empty for no limit."},
            )

    def receiver_rows(self) -> list[tuple[Organisation, forms.BoundField, forms.BoundField]]:
        return [(org, self[f"receive_{pk}"], self[f"capacity_{pk}"]) for pk, org in self.organisations.items()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = [pk for pk in self.organisations if cleaned.get(f"receive_{pk}")]
        for pk, org in self.organisations.items():
            if cleaned.get(f"capacity_{pk}") is not None and pk not in chosen:
                self.add_error(f"capacity_{pk}", f"Tick {org.name} as a receiving provider, or clear its capacity.")
        if not chosen:
            raise forms.ValidationError("Tick at least one receiving provider.", code="receivers_required")
        return cleaned

    def receivers(self) -> list[tuple[Organisation, int | None]]:
        return [
            (org, self.cleaned_data.get(f"capacity_{pk}"))
            for pk, org in self.organisations.items()
            if self.cleaned_data.get(f"receive_{pk}")
        ]


class ClientsForm(forms.Form):
    """List clients in a transfer: every client of the provider, or customer numbers
    pasted in (choosing a client's receiving provider is in the API only for now)."""

    every_active_client = forms.BooleanField(label="Every active client", required=False)
    customer_ids = forms.CharField(
        label="…or these customers",
        help_text="Their customer numbers, one per line or separated by commas or spaces.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, provider_name: str = "the provider", **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "clients-%s")
        super().__init__(*args, **kwargs)
        self.fields[
            "every_active_client"
        ].label = f"Every client with an active service from {provider_name} that we commission"

    def clean_customer_ids(self) -> list[int]:
        raw = self.cleaned_data.get("customer_ids") or ""
        parts = [p for p in re.split(r"[\s,;]+", raw) if p]
        bad = [p for p in parts if not p.isdigit()]
        if bad:
            raise forms.ValidationError(
                "Customer numbers are whole numbers; these are not: " + ", ".join(bad[:10]) + ".", code="not_a_number"
            )
        if len(parts) > MAX_PASTED_IDS:
            raise forms.ValidationError(
                f"Paste at most {MAX_PASTED_IDS:,} customer numbers at a time.", code="too_many"
            )
        return list(dict.fromkeys(int(p) for p in parts))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("every_active_client") and not cleaned.get("customer_ids"):
            raise forms.ValidationError(
                "Tick “every active client”, or paste some customer numbers.", code="clients_required"
            )
        return cleaned


class ClientIdsField(forms.Field):
    """The ticked clients of the report table (``client_ids`` checkboxes)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            return list(dict.fromkeys(int(v) for v in values))
        except (TypeError, ValueError):
            raise forms.ValidationError("Tick clients from the list.", code="invalid") from None


ASSIGN_CHOICES = [
    ("me", "To me"),
    ("person", "To one person"),
    ("team", "Spread across a team (each client to whoever has least work)"),
]


class AcceptForm(forms.Form):
    """A receiving provider accepts clients: every one offered to it, or the ticked ones,
    and says who answers for them from now on."""

    which = forms.ChoiceField(choices=[("all", "All"), ("selected", "Selected")], widget=forms.HiddenInput)
    client_ids = ClientIdsField(required=False)
    assign = forms.ChoiceField(
        label="Who will answer for them?",
        choices=ASSIGN_CHOICES,
        initial="me",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who will answer for the clients."},
    )
    person = forms.TypedChoiceField(label="Person", coerce=int, required=False)
    team = forms.TypedChoiceField(label="Team", coerce=int, required=False)

    def __init__(self, *args: Any, people: list[StaffMember], teams: list[Team], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "accept-%s")
        super().__init__(*args, **kwargs)
        self.people = {p.pk: p for p in people}
        self.teams = {t.pk: t for t in teams}
        self.fields["person"].choices = [  # type: ignore[attr-defined]
            ("", "Choose…"),
            *((p.pk, f"{p.display_name}{', ' + p.job_title if p.job_title else ''}") for p in people),
        ]
        self.fields["team"].choices = [("", "Choose…"), *((t.pk, t.name) for t in teams)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        assign = cleaned.get("assign")
        if assign == "person" and not cleaned.get("person"):
            self.add_error("person", "Choose the person who will answer for them.")
        if assign == "team" and not cleaned.get("team"):
            self.add_error("team", "Choose the team to spread them across.")
        if cleaned.get("which") == "selected" and not cleaned.get("client_ids"):
            raise forms.ValidationError("Tick the clients you are accepting in the list below.", code="none_ticked")
        return cleaned

    def chosen_ids(self) -> list[int] | None:
        """The ticked clients, or None for every client offered to us."""
        return self.cleaned_data["client_ids"] if self.cleaned_data["which"] == "selected" else None

    def assignee(self) -> dict[str, Any]:
        """`assign_to` / `assign_team` as `transfer_accept_clients` takes them."""
        assign = self.cleaned_data["assign"]
        if assign == "person":
            return {"assign_to": self.people[self.cleaned_data["person"]]}
        if assign == "team":
            return {"assign_team": self.teams[self.cleaned_data["team"]]}
        return {}


class DeclineClientsForm(forms.Form):
    client_ids = ClientIdsField(required=False)
    reason = forms.CharField(
        label="Why can't you take them?",
        help_text="The commissioner reads this so they can find the right place for each client.",
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "decline-%s")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("client_ids"):
            raise forms.ValidationError("Tick the clients you cannot take in the list below.", code="none_ticked")
        if not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Say why you cannot take them, so the commissioner can find another way.")
        return cleaned


class ReofferForm(forms.Form):
    to_provider = forms.TypedChoiceField(
        label="Offer to",
        coerce=int,
        error_messages={
            "required": "Choose the provider to offer the client to.",
            "invalid_choice": "Choose one of the providers in the list.",
        },
    )
    note = forms.CharField(label="Note for them (optional)", max_length=MAX_REASON, required=False)

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = {org.pk: org for org in organisations}
        self.fields["to_provider"].choices = [  # type: ignore[attr-defined]
            ("", "Choose…"),
            *((org.pk, org.name) for org in organisations),
        ]


class KeepForm(forms.Form):
    reason = forms.CharField(
        label="Why do they stay?",
        max_length=MAX_REASON,
        error_messages={"required": "Say why this client stays with their current provider."},
    )
