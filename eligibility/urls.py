from django.urls import path

from eligibility import views

app_name = "eligibility"
urlpatterns = [
    path("<str:code>/signoff/", views.signoff, name="signoff"),
    path("<str:code>/derived/<str:event>/<str:form>/", views.derived_values, name="derived"),
]
