from django.urls import path

from . import views

app_name = "courses"
urlpatterns = [
    path("", views.course_list_page, name="list"),
    path("<int:course_id>/", views.course_detail_page, name="detail"),
]
