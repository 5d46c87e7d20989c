"""Forms for the console pages. They check shape only (present, not too long, one of
the choices); whether a change is allowed is for the services to say, so that the page,
the API and the sweeps all follow the same rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from steward.alerts.services import MAX_RESOLUTION
from steward.handovers.services import MAX_NOTE
from steward.requests.lifecycle import Status
from steward.requests.models import Channel
from steward.requests.services import MAX_TEXT

DIRECTIONS = [
    ("out", "We wrote to the customer"),
    ("in", "The customer told us something"),
]


class LongSelect(forms.Select):
    """A select whose options are written out in Python rather than one template each:
    "Offer it to" lists every person in a team (hundreds), and Django's template per
    option took most of the request page's time (docs/performance.md, "Pages")."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group_name, options, _ in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            parts.extend(
                format_html('<option value="{}"{}>{}</option>', o["value"], flatatt(o["attrs"]), o["label"])
                for o in options
            )
            if group_name:
                parts.append(mark_safe("</optgroup>"))
        parts.append(mark_safe("</select>"))
        return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped by format_html


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label="Find the customer",
        help_text="Their name, phone number, email address or postcode.",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )


class CaptureForm(forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    need = forms.TypedChoiceField(
        label="What do they need?",
        coerce=int,
        error_messages={"required": "Choose what the customer needs.", "invalid_choice": "Choose one of the needs."},
    )
    channel = forms.ChoiceField(label="How did they get in touch?", choices=Channel.choices, initial=Channel.PHONE)
    description = forms.CharField(
        label="What did they say?",
        help_text="In their own words. This is the first thing the person who picks it up will read.",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write down what the customer said."},
    )

    def __init__(self, *args: Any, need_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["need"].choices = [(pk, str(pk)) for pk in need_ids]  # type: ignore[attr-defined]


class MessageForm(forms.Form):
    direction = forms.ChoiceField(
        label="Which way did it go?", choices=DIRECTIONS, initial="out", widget=forms.RadioSelect
    )
    channel = forms.ChoiceField(label="Channel", choices=Channel.choices, initial=Channel.PHONE)
    body = forms.CharField(
        label="Message",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write the message first."},
    )

    def __init__(self, *args: Any, may_write_out: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "message-%s")
        super().__init__(*args, **kwargs)
        if not may_write_out:
            # Only the people who work on the request write to the customer; anyone
            # who can see it may key in what the customer told them.
            self.fields["direction"].choices = [DIRECTIONS[1]]  # type: ignore[attr-defined]
            self.fields["direction"].initial = "in"


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Internal note",
        help_text="For colleagues only. The customer does not see internal notes.",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the note first."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "note-%s")
        super().__init__(*args, **kwargs)


class StatusForm(forms.Form):
    # Every status is accepted here; the lifecycle table in the service says which
    # moves are allowed, so a stale page gets the service's explanation.
    status = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(
        label="Why? (optional)",
        help_text="A few words for the timeline, e.g. “Visit rearranged for tonight.”",
        max_length=500,
        required=False,
        # A textarea, so pressing Enter does not press the first status button.
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "status-%s")
        super().__init__(*args, **kwargs)


class OfferForm(forms.Form):
    """Offer a request to one person, one team or one organisation: a single grouped
    choice, so there is no way to pick two. Values are ``person:<id>``, ``team:<id>``,
    ``organisation:<id>``; the view turns them into the receiver."""

    receiver = forms.ChoiceField(
        label="Offer it to",
        widget=LongSelect,
        help_text="One person, one team, or a whole organisation (anyone in a team there can accept).",
        error_messages={
            "required": "Choose who to offer it to.",
            "invalid_choice": "Choose one of the people, teams or organisations in the list.",
        },
    )
    reason = forms.CharField(
        label="Why are you handing it over?",
        help_text="The receiver and your supervisor read this. The customer sees that it was offered.",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why you are handing this request over."},
    )
    note_for_receiver = forms.CharField(
        label="What they need to know (optional)",
        help_text="So the customer never has to re-tell it: what has been done, what was promised, who to call.",
        max_length=MAX_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, receiver_choices: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "offer-%s")
        super().__init__(*args, **kwargs)
        self.fields["receiver"].choices = [("", "Choose…"), *receiver_choices]  # type: ignore[attr-defined]

    def receiver_key(self) -> tuple[str, int]:
        kind, _, pk = self.cleaned_data["receiver"].partition(":")
        return kind, int(pk)


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why can't you take it?",
        help_text="The sender and their supervisor read this, so they can find the right place for it.",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why you are declining, so the sender can find the right place."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "decline-%s")
        super().__init__(*args, **kwargs)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="Why? (optional)", max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "withdraw-%s")
        super().__init__(*args, **kwargs)


class ResolveAlertForm(forms.Form):
    resolution = forms.CharField(
        label="What was done?",
        help_text="Whoever reads this later (your manager, an inspector) needs to know what you found and did.",
        max_length=MAX_RESOLUTION,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what was done before resolving the alert."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "resolve-%s")
        super().__init__(*args, **kwargs)
