from django.urls import path

from . import page_views

app_name = "tracking"
urlpatterns = [
    path("videos/<int:video_id>/link/", page_views.video_link_create, name="video-link"),
    path(
        "campaigns/<int:campaign_id>/links/",
        page_views.campaign_links_create,
        name="campaign-links",
    ),
    path("links/<int:link_id>/active/", page_views.link_active_set, name="link-active"),
]
