from django.urls import path

from . import views

app_name = "courses"
urlpatterns = [
    path("", views.course_list_page, name="list"),
    path("new/", views.course_new_page, name="new"),
    path("<int:course_id>/", views.course_detail_page, name="detail"),
    path("<int:course_id>/edit/", views.course_edit_page, name="edit"),
    path("<int:course_id>/tiers/new/", views.tier_new, name="tier_new"),
    path("<int:course_id>/tiers/<int:tier_id>/", views.tier_edit, name="tier_edit"),
    path("<int:course_id>/tiers/<int:tier_id>/delete/", views.tier_delete, name="tier_delete"),
    path("<int:course_id>/tiers/<int:tier_id>/move/", views.tier_move, name="tier_move"),
    path("<int:course_id>/tiers/order/", views.tier_order, name="tier_order"),
    path("<int:course_id>/discounts/new/", views.discount_new, name="discount_new"),
    path(
        "<int:course_id>/discounts/<int:discount_id>/delete/",
        views.discount_delete,
        name="discount_delete",
    ),
    path("<int:course_id>/competitors/new/", views.competitor_new, name="competitor_new"),
    path(
        "<int:course_id>/competitors/<int:price_id>/delete/",
        views.competitor_delete,
        name="competitor_delete",
    ),
]
