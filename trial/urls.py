from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from trial import views


class CodeConverter:
    regex = "[A-Z0-9_-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "code")

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("", views.participant_list, name="participant_list"),
    path("participants/new/", views.participant_register, name="participant_register"),
    path("p/<code:code>/", views.participant_detail, name="participant_detail"),
    path("p/<code:code>/log/<code:form>/new/", views.crf_add_repeat, name="crf_add_repeat"),
    path("p/<code:code>/<code:event>/<code:form>/<int:repeat>/", views.crf_edit, name="crf_edit"),
    path("eligibility/", include("eligibility.urls")),
    path("dosing/", include("dosing.urls")),
    path("imaging/", include("imaging.urls")),
    path("followup/", include("followup.urls")),
]

handler404 = "trial.views.not_found"
handler500 = "trial.views.server_error"
