from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list_page, name="list"),
    path("<int:campaign_id>/", views.planner_page, name="planner"),
    path("<int:campaign_id>/posts/new/", views.post_new, name="post-new"),
    path("<int:campaign_id>/posts/<int:post_id>/", views.post_edit, name="post-edit"),
    path("<int:campaign_id>/posts/<int:post_id>/move/", views.post_move, name="post-move"),
    path("<int:campaign_id>/posts/<int:post_id>/delete/", views.post_delete, name="post-delete"),
    path("<int:campaign_id>/suggest/", views.schedule_suggest, name="suggest"),
    path("<int:campaign_id>/suggestions/accept/", views.suggestions_accept, name="accept"),
    path("<int:campaign_id>/suggestions/discard/", views.suggestions_discard, name="discard"),
]
