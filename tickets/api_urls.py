"""Console API routes, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("views/", api.ViewListApi.as_view(), name="views"),
    path("views/<slug:slug>/tickets/", api.ViewTicketsApi.as_view(), name="view-tickets"),
    path("tickets/<int:pk>/", api.TicketDetailApi.as_view(), name="ticket"),
    path("tickets/<int:pk>/assign/", api.AssignApi.as_view(), name="ticket-assign"),
    path("tickets/<int:pk>/reply/", api.ReplyApi.as_view(), name="ticket-reply"),
    path("tickets/<int:pk>/status/", api.StatusApi.as_view(), name="ticket-status"),
    path("tickets/<int:pk>/macro/", api.ApplyMacroApi.as_view(), name="ticket-macro"),
    path("tickets/<int:pk>/macros/<int:macro_id>/preview/", api.MacroPreviewApi.as_view(),
         name="ticket-macro-preview"),
    path("tickets/<int:pk>/route/", api.RouteApi.as_view(), name="ticket-route"),
    path("macros/", api.MacroListApi.as_view(), name="macros"),
    path("routing-rules/", api.RoutingRuleListApi.as_view(), name="routing-rules"),
]
