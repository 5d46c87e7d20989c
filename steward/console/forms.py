"""Forms for the console pages. They check shape only (present, not too long, one of
the choices); whether a change is allowed is for the services to say, so that the page,
the API and the sweeps all follow the same rules."""

from __future__ import annotations

import html
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from steward.accounts.backends import client_address
from steward.accounts.models import SignInLockout
from steward.accounts.selectors import sign_in_lock
from steward.alerts.services import MAX_RESOLUTION
from steward.handovers.services import MAX_NOTE
from steward.portal.forms import AskForm
from steward.requests.attachment_files import ACCEPT, max_bytes, size_in_words
from steward.requests.lifecycle import Status
from steward.requests.models import Channel
from steward.requests.services import MAX_TEXT


class PlainSelect(forms.Select):
    """A select whose options are written in Python, not through a template each: a draft
    plan's page offers every working carer in every visit's Move form, tens of thousands
    of options on a real day, and Django's per-option templates took most of a minute to
    render them (measured: 351 visits and 177 carers, 27 s; see docs/visits.md)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = set(self.format_value(value))
        options = []
        for option, label in self.choices:
            value_text = "" if option is None else str(option)
            selected = " selected" if value_text in chosen else ""
            # The standard library's escape (what Django's wraps, without its lazy-string
            # wrapper): called twice for each of tens of thousands of options.
            options.append(f'<option value="{html.escape(value_text)}"{selected}>{html.escape(str(label))}</option>')
        return format_html("<select{}>{}</select>", flatatt(final), mark_safe("".join(options)))  # noqa: S308 - escaped above


DIRECTIONS = [
    ("out", "We wrote to the customer"),
    ("in", "The customer told us something"),
]


def locked_message(lock: SignInLockout) -> str:
    """What a person is told when signing in is locked: that it is temporary and when
    to try again, worded the same whether or not the username exists."""
    until = timezone.localtime(lock.locked_until)
    same_day = until.date() == timezone.localtime().date()
    at = date_format(until, "H:i" if same_day else "D j M, H:i")
    if lock.scope == SignInLockout.Scope.ADDRESS:
        return (
            f"Signing in from this network is temporarily locked after too many failed attempts. "
            f"Please try again after {at}."
        )
    return (
        f"This account is temporarily locked after too many failed attempts to sign in. "
        f"Please try again after {at}. If you have forgotten your password, ask your "
        f"organisation's administrator to reset it."
    )


class StaffSignInForm(AuthenticationForm):
    """Django's sign-in form, refusing a locked username or address with a message that
    says when to try again. The count itself is kept by `steward.accounts` for every
    password form (this one and the admin's)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "The username or password is not right. Check both (capital letters matter) and try again. "
            "After %(tries)s failed tries in a row, signing in is locked for %(minutes)s minutes."
        ),
        "inactive": "This account is switched off. Ask your organisation's administrator.",
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        address = client_address(self.request)
        lock = sign_in_lock(username=username, address=address) if username else None
        if lock is not None:
            raise ValidationError(locked_message(lock), code="locked")
        try:
            return super().clean()
        except ValidationError:
            # This failure may be the one that locked it: say so now, not on the next try.
            lock = sign_in_lock(username=username, address=address) if username else None
            if lock is not None:
                raise ValidationError(locked_message(lock), code="locked") from None
            raise

    def get_invalid_login_error(self) -> ValidationError:
        return ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={
                "tries": settings.STEWARD_SIGN_IN_MAX_FAILURES,
                "minutes": settings.STEWARD_SIGN_IN_LOCKOUT_MINUTES,
            },
        )


class LongSelect(forms.Select):
    """A select whose options are written out in Python rather than one template each:
    "Offer it to" lists every person in a team (hundreds), and Django's template per
    option took most of the request page's time (docs/performance.md, "Pages")."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        # The choices are walked directly: Django's option dictionaries (one attrs copy
        # and index per option) cost as much as the template they replaced.
        select_attrs = self.build_attrs(self.attrs, attrs)
        chosen = {str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v is not None}
        parts: list[str] = [format_html('<select name="{}"{}>', name, flatatt(select_attrs))]
        for group_value, group_label in self.choices:
            if isinstance(group_label, list | tuple):
                parts.append(format_html('<optgroup label="{}">', group_value))
                parts.extend(self._option(v, label, chosen) for v, label in group_label)
                parts.append("</optgroup>")
            else:
                parts.append(self._option(group_value, group_label, chosen))
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value and label is escaped in _option

    @staticmethod
    def _option(value: Any, label: Any, chosen: set[str]) -> str:
        text = "" if value is None else str(value)
        selected = " selected" if text in chosen else ""
        return f'<option value="{escape(text)}"{selected}>{escape(label)}</option>'


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label="Find the customer",
        help_text="Their name, phone number, email address or postcode.",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )


# How a request can reach staff: everything but the web, where customers ask for themselves.
CAPTURE_CHANNELS = [(c.value, c.label) for c in (Channel.PHONE, Channel.IN_PERSON, Channel.EMAIL, Channel.SMS)]
MAX_ON_BEHALF = 200


class CaptureForm(AskForm):
    """The customer's own Ask for help form (`portal.forms.AskForm`: the same questions,
    the same checks), filled in by staff with the customer. It adds only what the
    portal knows by itself: who the customer is (found by searching), how they got in
    touch, and who spoke for them if it was not the customer."""

    customer = forms.IntegerField(widget=forms.HiddenInput)
    channel = forms.ChoiceField(label="How did they get in touch?", choices=CAPTURE_CHANNELS, initial=Channel.PHONE)
    on_behalf_of = forms.CharField(
        label="Who got in touch, if not the customer? (optional)",
        help_text="For example “Sara Khan, her daughter”. Leave it empty if it was the customer.",
        max_length=MAX_ON_BEHALF,
        required=False,
    )

    field_order = ["customer", "channel", "on_behalf_of", "need", "description"]

    def description_as_told(self, *, customer_known_as: str) -> str:
        """What the customer said, with who said it when someone spoke for them, so the
        owner knows who to call back."""
        description: str = self.cleaned_data["description"]
        on_behalf_of: str = self.cleaned_data["on_behalf_of"].strip()
        if not on_behalf_of:
            return description
        return f"{description}\n\n(Told to us by {on_behalf_of}, on {customer_known_as}'s behalf.)"


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


class AttachForm(forms.Form):
    """A photo or document for a request, and optionally a message to the customer with
    it. What the file is, and whether it is small enough, is for the service to say."""

    file = forms.FileField(
        label="Photo or document",
        help_text="A photo (JPEG, PNG, GIF, WebP, HEIC), a PDF or a text file, up to {limit}. "
        "The customer sees it on their request.",
        error_messages={"required": "Choose the file first."},
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    body = forms.CharField(
        label="Message to the customer with it (optional)",
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "attach-%s")
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = self.fields["file"].help_text.format(limit=size_in_words(max_bytes()))


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
