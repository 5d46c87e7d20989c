"""'My contact preferences' (`/me/preferences/`): how and when the customer wants to be
contacted, in which language and time zone, what helps them take part, and what matters
to them. One form that works without JavaScript; the service decides, and its refusal
comes back as a message beside each field it names."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from steward.customers.models import ContactPreferences, Customer
from steward.customers.preferences import (
    ACCESS_OTHER_MAX,
    COMMON_TIME_ZONES,
    LANGUAGES,
    WHAT_MATTERS_MAX,
    PreferencesData,
    PreferencesView,
)
from steward.customers.selectors import customer_with_preferences, preferences_for
from steward.customers.services import preferences_update
from steward.errors import DomainError

from .access import customer_required, page

CHANNEL_FIELDS = ("channel_1", "channel_2", "channel_3")
NO_CHANNEL = [("", "No choice")]


class PreferencesForm(forms.Form):
    """The shape of the answers; `preferences_update` checks what they mean."""

    channel_1 = forms.ChoiceField(label="The best way to contact you", required=False)
    channel_2 = forms.ChoiceField(label="If that does not work", required=False)
    channel_3 = forms.ChoiceField(label="And after that", required=False)
    quiet_from = forms.TimeField(
        label="From",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 21:00."},
    )
    quiet_to = forms.TimeField(
        label="Until",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 08:00."},
    )
    language = forms.ChoiceField(
        label="Which language should we speak or write to you in?",
        help_text="If you need an interpreter, we will arrange one.",
        choices=LANGUAGES,
        error_messages={"required": "Choose a language.", "invalid_choice": "Choose a language from the list."},
    )
    time_zone = forms.ChoiceField(
        label="Which time zone are you in?",
        help_text="We show times on these pages in this time zone, and use it for your quiet hours.",
        error_messages={"required": "Choose a time zone.", "invalid_choice": "Choose a time zone from the list."},
    )
    access_needs = forms.MultipleChoiceField(
        label="What helps you take part?",
        help_text="Tick all that apply.",
        required=False,
        choices=ContactPreferences.AccessNeed.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose from the list, and write anything else in the box below."},
    )
    access_other = forms.CharField(
        label="Anything else that helps you (you can leave this empty)",
        required=False,
        max_length=ACCESS_OTHER_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"Keep this under {ACCESS_OTHER_MAX:,} characters."},
    )
    what_matters_to_me = forms.CharField(
        label="What matters to you",
        help_text="What you would like everyone who helps you to know first. Staff see this at the top of your record.",
        required=False,
        max_length=WHAT_MATTERS_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"max_length": f"Keep this under {WHAT_MATTERS_MAX:,} characters."},
    )

    def __init__(self, *args: Any, current_time_zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel_choices = NO_CHANNEL + list(ContactPreferences.Channel.choices)
        for name in CHANNEL_FIELDS:
            self.fields[name].choices = channel_choices  # type: ignore[attr-defined]
        zones = list(COMMON_TIME_ZONES)
        if current_time_zone not in dict(zones):  # a zone set through the API stays choosable
            zones.append((current_time_zone, current_time_zone))
        self.fields["time_zone"].choices = zones  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        seen: set[str] = set()
        for name in CHANNEL_FIELDS:
            value = cleaned.get(name)
            if value and value in seen:
                self.add_error(name, "You have chosen this already. Choose another way, or 'No choice'.")
            elif value:
                seen.add(value)
        if (cleaned.get("quiet_from") is None) != (cleaned.get("quiet_to") is None) and not (
            self.has_error("quiet_from") or self.has_error("quiet_to")
        ):
            empty = "quiet_to" if cleaned.get("quiet_to") is None else "quiet_from"
            self.add_error(empty, "Give both times, or leave both empty if any time is fine.")
        return cleaned

    def data_for_service(self) -> PreferencesData:
        c = self.cleaned_data
        return PreferencesData(
            channels=[c[name] for name in CHANNEL_FIELDS if c.get(name)],
            quiet_from=c.get("quiet_from"),
            quiet_to=c.get("quiet_to"),
            language=c["language"],
            time_zone=c["time_zone"],
            access_needs=list(c.get("access_needs") or []),
            access_other=c.get("access_other") or "",
            what_matters_to_me=c.get("what_matters_to_me") or "",
        )


def initial_from(view: PreferencesView) -> dict[str, Any]:
    initial: dict[str, Any] = {name: "" for name in CHANNEL_FIELDS}
    for name, channel in zip(CHANNEL_FIELDS, view.channels, strict=False):
        initial[name] = channel
    return {
        **initial,
        "quiet_from": view.quiet_from,
        "quiet_to": view.quiet_to,
        "language": view.language,
        "time_zone": view.time_zone,
        "access_needs": view.access_needs,
        "access_other": view.access_other,
        "what_matters_to_me": view.what_matters_to_me,
    }


# The service names fields by what they mean; the form has three channel boxes.
SERVICE_TO_FORM_FIELD = {"channels": "channel_1"}


@require_http_methods(["GET", "POST"])
@customer_required
def preferences(request: HttpRequest, customer: Customer) -> HttpResponse:
    customer = customer_with_preferences(customer_id=customer.pk)
    view = preferences_for(customer=customer)
    form = PreferencesForm(request.POST or None, initial=initial_from(view), current_time_zone=view.time_zone)
    if request.method == "POST":
        if form.is_valid():
            try:
                preferences_update(customer=customer, data=form.data_for_service())
            except DomainError as exc:
                fields = (exc.details or {}).get("fields") or {}
                if isinstance(fields, dict) and fields:
                    for name, message in fields.items():
                        form.add_error(SERVICE_TO_FORM_FIELD.get(name, name), str(message))
                else:
                    form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    "Thank you. We have saved your preferences. Everyone who helps you will see them, "
                    "starting with what matters to you.",
                )
                return redirect("portal:preferences")
        return page(request, customer, "portal/preferences.html", {"form": form, "view": view}, status=400)
    return page(request, customer, "portal/preferences.html", {"form": form, "view": view})
