"""The Airflow plugin that puts the Events page in the Airflow UI (registered as an ``airflow.plugins`` entry point).

The api-server mounts ``pipeline.ui.app`` at ``/events``; the nav entry "Events" shows that page
inside the UI. Other components load the plugin too, so nothing here touches the warehouse.
"""
from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from pipeline.ui.app import app


class EventsPlugin(AirflowPlugin):
    name = "news_events"
    fastapi_apps = [{"app": app, "url_prefix": "/events", "name": "Events"}]
    external_views = [{
        "name": "Events",
        # Relative to the UI's base URL, so it works behind a proxy prefix too.
        "href": "events/",
        "destination": "nav",
        "url_route": "events",
        "category": "browse",
    }]
