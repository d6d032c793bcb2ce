from django.urls import path

from . import views

app_name = "videos"
urlpatterns = [
    path("", views.video_board_page, name="board"),
    path("new/", views.video_create_page, name="create"),
    path("<int:video_id>/", views.video_detail_page, name="detail"),
    path("<int:video_id>/move/", views.video_move_page, name="move"),
    path("<int:video_id>/course/", views.video_course_page, name="course"),
    path("course/", views.videos_course_bulk_page, name="bulk-course"),
]
