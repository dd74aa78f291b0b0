"""Console pages."""

from django.urls import path

from . import bulk_views, views

app_name = "tickets"
urlpatterns = [
    path("", views.home, name="home"),
    path("views/counts/", views.view_counts, name="view-counts"),
    path("search/", views.search, name="search"),
    path("overview/", views.overview, name="overview"),
    path("views/<slug:slug>/", views.view_tickets, name="view"),
    path("tickets/bulk/", bulk_views.bulk_apply, name="bulk"),
    path("tickets/bulk/<int:pk>/", bulk_views.bulk_results, name="bulk-results"),
    path("tickets/<int:pk>/", views.ticket_page, name="ticket"),
    path("tickets/<int:pk>/assign/", views.assign_to_me, name="assign"),
    path("tickets/<int:pk>/reply/", views.reply, name="reply"),
    path("tickets/<int:pk>/status/", views.change_status, name="status"),
    path("tickets/<int:pk>/macro/preview/", views.macro_preview, name="macro-preview"),
    path("tickets/<int:pk>/macro/", views.apply_macro, name="macro"),
    path("tickets/<int:pk>/route/", views.route, name="route"),
    path("tickets/<int:pk>/presence/", views.heartbeat, name="presence"),
    path("tickets/<int:pk>/deliveries/<int:message_id>/retry/", views.retry_delivery,
         name="retry-delivery"),
]
