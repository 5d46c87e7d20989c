"""The staff console against WCAG 2.2 AA, in a real browser: axe-core finds no
violation on any console page (sign-in and its error, every page each kind of staff
member reaches, forms with their errors showing, not-found pages); a call handler signs
in and captures a request with the keyboard alone; pages still work with text at 200%
and on a 320 px wide screen (WCAG 1.4.4, 1.4.10).

A page added to the console belongs in CONSOLE_PAGES (or, for a form's error state, in
`_form_error_states`), so the sweep checks it too. The helper itself is checked against
a page made to fail, so a clean sweep means something."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from steward.agreements.models import ServiceAgreement
from steward.alerts.continuity import continuity_sweep
from steward.alerts.models import Alert
from steward.customers.models import Customer
from steward.handovers.services import handover_offer
from steward.organisations.models import Organisation
from steward.requests.models import Request
from steward.transfers.services import (
    ReceiverSpec,
    transfer_add_clients,
    transfer_create,
    transfer_make_offers,
    transfer_open,
)
from steward.visits.tests.factories import ensure_carer_day

from .axe import AxeSweep, axe_violations, describe
from .keyboard import arrow_to, assert_focus_visible, tab_into, tab_to
from .layout import LAYOUTS, enlarged, layout_problems
from .test_browser import PASSWORD, browser, sign_in, sign_out  # noqa: F401 - `browser` is a fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def world(demo: Any) -> dict[str, int]:
    """The demo, plus what some pages need to exist: a handover offer to Sunrise Care, a
        no-contact alert for Mrs Khan, a draft transfer of three CheapCare Ltd clients and
    another of three more, offered to Sunrise Care."""
    amina = Customer.objects.get(given_name="Amina", family_name="Khan")
    request = Request.objects.get(customer=amina, owner=demo.staff("priya.shah"))
    offer = handover_offer(
        request=request,
        actor=demo.staff("priya.shah"),
        to_organisation=Organisation.objects.get(name="Sunrise Care"),
        reason="Sunrise Care runs her home-care package now",
        note_for_receiver="Sara has a key; ring her first.",
    )
    continuity_sweep(at=timezone.now() + timedelta(days=14))
    alert = Alert.objects.filter(customer=amina).latest("id")
    cheapcare = Organisation.objects.get(name="CheapCare Ltd")
    transfer = transfer_create(
        actor=demo.staff("rachel.green"),
        from_provider=cheapcare,
        receivers=[ReceiverSpec(Organisation.objects.get(name="Sunrise Care"))],
        reason="The council ended its contract with CheapCare Ltd.",
    )
    clients = list(
        ServiceAgreement.objects.filter(provider=cheapcare, status="active")
        .exclude(customer=amina)
        .values_list("customer_id", flat=True)[:6]
    )
    transfer_add_clients(transfer=transfer, actor=demo.staff("rachel.green"), customer_ids=clients[:3])
    offered = transfer_create(
        actor=demo.staff("rachel.green"),
        from_provider=cheapcare,
        receivers=[ReceiverSpec(Organisation.objects.get(name="Sunrise Care"))],
        reason="The council ended its contract with CheapCare Ltd.",
    )
    transfer_add_clients(transfer=offered, actor=demo.staff("rachel.green"), customer_ids=clients[3:])
    transfer_open(transfer=offered, actor=demo.staff("rachel.green"))
    transfer_make_offers(transfer_id=offered.pk)
    planning = _planning_pages(demo, amina)
    amina_care = ServiceAgreement.objects.get(customer=amina, provider=cheapcare, status="active")
    carer = ensure_carer_day(staff=demo.staff("dev.sharma"), agreement=amina_care, day=timezone.localdate())
    return {
        **planning,
        "customer": amina.pk,
        "request": request.pk,
        "offer": offer.pk,
        "alert": alert.pk,
        "transfer": transfer.pk,
        "transfer_offered": offered.pk,
        "carer": carer.pk,
    }


def _planning_pages(demo: Any, amina: Customer) -> dict[str, int]:
    """CheapCare Ltd's planning: a run still planning, and a finished one whose draft for
    tomorrow has Mrs Khan's morning visit planned and her evening visit not."""
    from steward.care.models import CareAgreement, Carer
    from steward.care.tests.factories import make_care_agreement, make_carer, make_pattern
    from steward.visits.models import Schedule, ScheduleRun, Visit
    from steward.visits.tests.factories import make_schedule, make_visit

    cheapcare = Organisation.objects.get(name="CheapCare Ltd")
    agreement = ServiceAgreement.objects.get(customer=amina, provider=cheapcare, status="active")
    care = CareAgreement.objects.filter(service_agreement=agreement).first() or make_care_agreement(agreement=agreement)
    carer = Carer.objects.filter(staff=demo.staff("dev.sharma")).first() or make_carer(staff=demo.staff("dev.sharma"))
    morning = make_pattern(care=care, label="Help getting up (sweep)")
    evening = make_pattern(care=care, label="Help into bed (sweep)")
    tomorrow = timezone.localdate() + timedelta(days=1)
    running = ScheduleRun.objects.create(
        organisation=cheapcare,
        first_day=tomorrow,
        last_day=tomorrow,
        status=ScheduleRun.Status.RUNNING,
        progress_percent=40,
        progress_message="Improving: 180 of 190 visits placed",
    )
    done = ScheduleRun.objects.create(
        organisation=cheapcare, first_day=tomorrow, last_day=tomorrow, status=ScheduleRun.Status.DONE
    )
    draft = make_schedule(organisation=cheapcare, day=tomorrow, status=Schedule.Status.DRAFT, run=done)
    make_visit(schedule=draft, pattern=morning, carers=[carer])
    make_visit(schedule=draft, pattern=evening, status=Visit.Status.UNPLACED, unplaced_detail="Nobody works late.")
    from steward.visits.reports import schedule_report

    draft.summary = {"figures": schedule_report(schedules=[draft]).figures()}
    draft.save(update_fields=["summary"])
    done.summary = draft.summary["figures"]
    done.save(update_fields=["summary"])
    return {"run_running": running.pk, "run_done": done.pk, "schedule": draft.pk}


# Every console page, by who sees it: username -> [(what it is, path)]. The paths are
# formatted with the ids from `world`. Forms' error states are in `_form_error_states`.
CONSOLE_PAGES: dict[str, list[tuple[str, str]]] = {
    "dan.evans": [
        ("my work (call handler)", "/console/"),
        ("capture: find the customer", "/console/capture/"),
        ("capture: search results", "/console/capture/?q=Khan"),
        ("capture: nobody found", "/console/capture/?q=Nobody%20Atall"),
        ("capture: the form for a customer", "/console/capture/?customer={customer}"),
        ("customer page: why are you opening this record?", "/console/customers/{customer}/"),
        ("handovers (none)", "/console/handovers/"),
        ("transfers (none)", "/console/transfers/"),
        ("new transfer (nothing to transfer)", "/console/transfers/new/"),
        ("a request that is not there", "/console/requests/999999/"),
        ("a customer that is not there", "/console/customers/999999/"),
        ("a handover that is not there", "/console/handovers/999999/"),
        ("an alert that is not there", "/console/alerts/999999/"),
        ("a transfer that is not there", "/console/transfers/999999/"),
        ("a staff member on the customer's portal", "/me/"),
        ("planning visits: not a planner", "/console/schedule/"),
    ],
    "priya.shah": [
        ("my work (owner with requests)", "/console/"),
        ("a request, offered", "/console/requests/{request}/"),
        ("handovers (offers made)", "/console/handovers/"),
    ],
    "jo.patel": [
        ("my work (an offer waiting)", "/console/"),
        ("handovers (an offer to answer)", "/console/handovers/"),
        ("a handover offer", "/console/handovers/{offer}/"),
        ("transfers (clients offered to us)", "/console/transfers/"),
        ("a transfer, clients offered to us", "/console/transfers/{transfer_offered}/"),
    ],
    "kim.lee": [
        ("my work (an alert)", "/console/"),
        ("an alert", "/console/alerts/{alert}/"),
        ("planning visits", "/console/schedule/?day=" + str(timezone.localdate() + timedelta(days=1))),
        ("a planning run, in progress", "/console/schedule/runs/{run_running}/"),
        ("a planning run, done", "/console/schedule/runs/{run_done}/"),
        ("a draft plan's report", "/console/schedule/{schedule}/"),
        ("a planning run that is not there", "/console/schedule/runs/999999/"),
        ("a carer's day, seen by their manager", "/console/carers/{carer}/day/2020-01-06/"),
    ],
    "dev.sharma": [
        ("my visits today (a carer's day)", "/console/my-day/"),
        ("a carer's day with no plan", "/console/carers/{carer}/day/2020-01-06/"),
    ],
    "rachel.green": [
        ("transfers", "/console/transfers/"),
        ("new transfer", "/console/transfers/new/"),
        ("a draft transfer", "/console/transfers/{transfer}/"),
        ("a transfer's report", "/console/transfers/{transfer_offered}/"),
        ("a transfer's report, declined only", "/console/transfers/{transfer_offered}/?status=declined"),
    ],
}


def _server_checks_only(page: Page) -> None:
    """Let empty forms reach the server (the browser's own required-field bubble would
    stop them), so the page with the server's error messages is what gets checked."""
    page.evaluate("document.querySelectorAll('form').forEach(f => { f.noValidate = true; })")


def _login_error(page: Page, base: str) -> None:
    page.goto(f"{base}/console/login/")
    page.get_by_label("Username").fill("dan.evans")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("We couldn't sign you in")


def _capture_nothing_chosen(page: Page, base: str, ids: dict[str, int]) -> None:
    page.goto(f"{base}/console/capture/?customer={ids['customer']}")
    _server_checks_only(page)
    page.get_by_role("button", name="Capture and find who answers for it").click()
    group = page.get_by_role("group", name="What do you need help with?")
    expect(group).to_have_accessible_description(re.compile(r"\S"))


def _capture_done(page: Page, base: str, ids: dict[str, int]) -> None:
    page.goto(f"{base}/console/capture/?customer={ids['customer']}")
    page.get_by_label("My carer didn't come").check()
    page.get_by_label("Tell us about it").fill("Nobody came this morning.")
    page.get_by_role("button", name="Capture and find who answers for it").click()
    expect(page.get_by_role("heading", name="Request captured")).to_be_visible()


def _read_purpose_refused(page: Page, base: str, ids: dict[str, int]) -> None:
    page.goto(f"{base}/console/customers/{ids['customer']}/")
    page.get_by_label("Why are you opening this record?").select_option("marketing")
    page.get_by_role("button", name="Open the record").click()
    expect(page.get_by_role("alert")).to_contain_text("has no permission")


def _customer_page(page: Page, base: str, ids: dict[str, int]) -> None:
    page.goto(f"{base}/console/customers/{ids['customer']}/")
    page.get_by_label("Why are you opening this record?").select_option("service_provision")
    page.get_by_role("button", name=("Open the record", "Try again")[page.get_by_role("alert").count() > 0]).click()
    expect(page.get_by_role("heading", name="Contact details")).to_be_visible()


def _request_message_empty(page: Page, base: str, ids: dict[str, int]) -> None:
    page.goto(f"{base}/console/requests/{ids['request']}/")
    _server_checks_only(page)
    page.get_by_role("button", name="Add message").click()
    expect(page.locator(".field--error").first).to_be_visible()


def _handover_decline_empty(page: Page, base: str, ids: dict[str, int]) -> None:
    page.goto(f"{base}/console/handovers/{ids['offer']}/")
    _server_checks_only(page)
    page.get_by_role("button", name="Decline").click()
    expect(page.locator(".field--error").first).to_be_visible()


def _alert_resolve_empty(page: Page, base: str, ids: dict[str, int]) -> None:
    page.goto(f"{base}/console/alerts/{ids['alert']}/")
    _server_checks_only(page)
    page.get_by_role("button", name="Resolve the alert").click()
    expect(page.locator(".field--error").first).to_be_visible()


def _transfer_new_empty(page: Page, base: str, ids: dict[str, int]) -> None:
    page.goto(f"{base}/console/transfers/new/")
    _server_checks_only(page)
    page.get_by_role("button", name="Start the transfer").click()
    expect(page.locator(".field--error").first).to_be_visible()


def _plan_too_many_days(page: Page, base: str, ids: dict[str, int]) -> None:
    page.goto(f"{base}/console/schedule/")
    _server_checks_only(page)
    today = timezone.localdate()
    page.get_by_label("First day").fill(str(today))
    page.get_by_label("Last day").fill(str(today + timedelta(days=10)))
    page.get_by_role("button", name="Plan").click()
    expect(page.get_by_role("alert")).to_contain_text("Plan at most 7 days")


def _move_does_not_fit(page: Page, base: str, ids: dict[str, int]) -> None:
    page.goto(f"{base}/console/schedule/{ids['schedule']}/")
    row = page.locator("tr", has_text="Help getting up (sweep)")
    row.locator("summary", has_text="Move").click()
    row.get_by_label("Starts at").fill("23:00")
    row.get_by_role("button", name="Move this visit").click()
    expect(page.get_by_role("alert")).to_contain_text("outside the times")


FormState = Callable[[Page, str, dict[str, int]], None]

# Pages reached through a form: username -> [(what it is, how to get there)].
_form_error_states: dict[str, list[tuple[str, FormState]]] = {
    "dan.evans": [
        ("capture, nothing chosen", _capture_nothing_chosen),
        ("capture done", _capture_done),
        ("customer page: the read refused (break-glass form)", _read_purpose_refused),
        ("customer page", _customer_page),
    ],
    "priya.shah": [("a request, empty message", _request_message_empty)],
    "jo.patel": [("a handover, declined without a reason", _handover_decline_empty)],
    "kim.lee": [
        ("an alert, resolved without saying what was done", _alert_resolve_empty),
        ("planning visits, too many days", _plan_too_many_days),
        ("a draft plan, a move that does not fit", _move_does_not_fit),
    ],
    "rachel.green": [("new transfer, nothing filled in", _transfer_new_empty)],
}


def test_every_console_page_passes_axe(live_server: Any, world: dict[str, int], browser: Browser) -> None:  # noqa: F811
    base = live_server.url
    sweep = AxeSweep()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15_000)

    page.goto(f"{base}/console/login/")
    sweep.check(page, "sign in")
    _login_error(page, base)
    sweep.check(page, "sign in, wrong password")

    for username, pages in CONSOLE_PAGES.items():
        sign_in(page, base, username)
        for name, path in pages:
            page.goto(base + path.format(**world))
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            sweep.check(page, f"{name} [{username}]")
        for name, reach in _form_error_states.get(username, []):
            reach(page, base, world)
            sweep.check(page, f"{name} [{username}]")
        sign_out(page)
    sweep.check(page, "signed out")

    # Signed in, but not a staff member (the demo's administrator).
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    sweep.check(page, "not a staff member")
    sweep.assert_clean()


def test_the_axe_check_finds_what_it_should(browser: Browser) -> None:  # noqa: F811
    """A page with an unlabelled input, an image without a text alternative and grey
    text on white fails, naming the rule and the element."""
    page = browser.new_page()
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>Bad</h1>'
        '<input type="text" id="nameless"><img src="data:," id="pic">'
        '<p id="faint" style="color:#bbb">Hard to read</p></main></body></html>'
    )
    violations = axe_violations(page)
    found = {v["id"]: [t for n in v["nodes"] for t in n["target"]] for v in violations}
    assert found.get("label") == ["#nameless"]
    assert found.get("image-alt") == ["#pic"]
    assert found.get("color-contrast") == ["#faint"]
    report = describe("bad page", violations)
    assert "image-alt (critical)" in report and "https://dequeuniversity.com/rules/axe/" in report


def test_call_handler_signs_in_and_captures_with_the_keyboard_alone(
    live_server: Any,
    demo: Any,
    browser: Browser,  # noqa: F811
) -> None:
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(f"{base}/console/login/")

    # The username box has focus already (the sign-in form's autofocus).
    expect(page.get_by_label("Username")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type("dan.evans")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()

    # On every page the first Tab reaches the skip link, shown, and Enter moves to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Shift+Tab")  # back into the header, to reach its navigation

    tab_to(page, "Capture a request")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Capture a request", level=1)).to_be_visible()
    tab_to(page, "Find the customer")
    page.keyboard.type("Khan")
    page.keyboard.press("Enter")  # the search form works without waiting for HTMX
    expect(page).to_have_url(re.compile(r"\?q=Khan"))
    tab_to(page, "Capture for Amina Khan")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="For Amina Khan (Mrs Khan)")).to_be_visible()

    # The needs are one radio group: Tab enters it, the arrow keys choose.
    tab_into(page, "input[name=need]")
    arrow_to(page, "My carer didn't come")
    expect(page.get_by_label("My carer didn't come")).to_be_checked()
    tab_to(page, "Tell us about it")
    page.keyboard.type("Nobody came at 8 this morning.")
    tab_to(page, "Capture and find who answers for it")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Request captured")).to_be_visible()
    created = Request.objects.select_related("owner").latest("id")
    assert created.description == "Nobody came at 8 this morning."
    expect(page.locator(".owner-sentence")).to_contain_text(
        re.compile(rf"^{re.escape(created.owner.display_name)}, .* is looking after it")
    )


def test_console_pages_work_with_text_at_200_percent_and_on_a_320_px_screen(
    live_server: Any,
    world: dict[str, int],
    browser: Browser,  # noqa: F811
) -> None:
    base = live_server.url
    # who: [(path, its main actions)]; "" is signed out.
    pages: dict[str, list[tuple[str, list[str]]]] = {
        "": [("/console/login/", ["Sign in"])],
        "priya.shah": [
            ("/console/", ["Sign out", "Capture a request"]),
            ("/console/requests/{request}/", ["Add message", "Add note", "Withdraw the offer"]),
            ("/console/capture/?customer={customer}", ["Capture and find who answers for it"]),
        ],
        "jo.patel": [
            ("/console/handovers/{offer}/", ["Accept: I will look after it", "Decline"]),
            ("/console/transfers/{transfer_offered}/", ["Accept all 3 offered to us"]),
        ],
        "kim.lee": [("/console/alerts/{alert}/", ["Resolve the alert"])],
        "dev.sharma": [("/console/my-day/", ["My visits today", "Amina Khan", "Next day"])],
        "rachel.green": [
            ("/console/transfers/{transfer}/", ["Open transfer"]),
            ("/console/transfers/{transfer_offered}/", ["Complete transfer"]),
        ],
    }
    page = browser.new_page()
    page.set_default_timeout(15_000)
    problems = []
    for who, paths in pages.items():
        page.context.clear_cookies()
        if who:
            sign_in(page, base, who)
        state = page.context.storage_state()
        for layout, viewport, size in LAYOUTS:
            with enlarged(browser, state, viewport, size) as big:
                for path, actions in paths:
                    big.goto(base + path.format(**world))
                    problems += [f"{path} [{who}], {layout}: {p}" for p in layout_problems(big, actions)]
    assert not problems, "\n".join(problems)
