from django.urls import path

from submission import views

app_name = "submission"

urlpatterns = [
    path("sdtm/", views.package_request, name="package_request"),
    path("sdtm/<int:pk>/", views.package_job, name="package_job"),
    path("sdtm/<int:pk>/download/", views.package_download, name="package_download"),
    path("sdtm/<int:pk>/retry/", views.package_retry, name="package_retry"),
]
