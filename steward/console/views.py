"""Staff console pages (first version: sign in and see the work you answer for)."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from steward.organisations.selectors import staff_for_user
from steward.requests.selectors import my_requests


class StaffLoginView(LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("console:login")


def home(request: HttpRequest) -> HttpResponse:
    return redirect("console:my-work")


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    staff = staff_for_user(request.user)
    if staff is None:
        return render(request, "console/not_staff.html", status=403)
    requests = list(my_requests(staff=staff)[:50])
    return render(request, "console/my_work.html", {"staff": staff, "requests": requests})
