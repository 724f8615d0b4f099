"""`policywatch web`: the analyst's web interface (Starlette, server-rendered Jinja2 templates, vendored
static files). See app.create_app for the routes and security for the login and CSRF rules."""

from policywatch.web.app import WebConfig, create_app

__all__ = ["WebConfig", "create_app"]
