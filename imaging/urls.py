from django.urls import path

from imaging import views

app_name = "imaging"
urlpatterns = [
    path("study/", views.study, name="study"),
    path("<str:code>/gate/", views.gate_sign, name="gate_sign"),
]
