"""Inbox pages: threads, the rotation and its calendar feed."""

from django.urls import path

from . import views

app_name = "inbox"
urlpatterns = [
    path("inbox/", views.thread_list, name="list"),
    path("inbox/threads/<int:pk>/", views.thread_page, name="thread"),
    path("inbox/threads/<int:pk>/composer/", views.insert_response, name="insert-response"),
    path("inbox/threads/<int:pk>/reply/", views.reply, name="reply"),
    path("inbox/threads/<int:pk>/assign/", views.assign_to_me, name="assign"),
    path("inbox/threads/<int:pk>/status/", views.change_status, name="status"),
    path("inbox/threads/<int:pk>/category/", views.correct_category, name="category"),
    path("inbox/threads/<int:pk>/escalate/", views.escalate, name="escalate"),
    path("inbox/threads/<int:pk>/deliveries/<int:message_id>/retry/", views.retry_delivery,
         name="retry-delivery"),
    path("inbox/rotation/", views.rotation_page, name="rotation"),
    path("inbox/rotation/swap/", views.swap, name="swap"),
    path("inbox/rotation/cover/", views.cover, name="cover"),
    path("inbox/rotation/overrides/<int:override_id>/cancel/", views.cancel_override,
         name="cancel-override"),
    path("inbox/rotation/shifts/<int:shift_id>/assign/", views.assign_shift,
         name="assign-shift"),
    path("inbox/rotation/calendar-link/", views.create_feed, name="create-feed"),
    path("inbox/rotation/calendar-link/revoke/", views.revoke_feed, name="revoke-feed"),
    path("inbox/calendar/<str:token>.ics", views.ics_feed, name="ics"),
]
