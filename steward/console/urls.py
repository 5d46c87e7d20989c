from django.urls import path

from . import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("console/login/", views.StaffLoginView.as_view(), name="login"),
    path("console/logout/", views.logout_view, name="logout"),
    path("console/", views.my_work, name="my-work"),
]
