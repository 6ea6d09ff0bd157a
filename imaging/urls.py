from django.urls import path

from imaging import views

app_name = "imaging"
urlpatterns = [
    path("study/", views.study, name="study"),
]
