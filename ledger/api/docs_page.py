"""The API's readable documentation at ``/api/docs``: Swagger UI over ``/api/v1/openapi.json``.

Swagger UI comes from the ``swagger-ui-dist`` npm package pinned in package.json, copied into the built
assets by ``frontend/build.mjs`` and served by the app itself (no CDN). The page has no inline script or
style, so it keeps the site's Content-Security-Policy (``ledger.web.headers`` only lets it show the
``data:`` images Swagger UI's stylesheet draws its icons with).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, url_for
from markupsafe import escape

from ledger.auth.access import public

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}: API documentation</title>
<link rel="stylesheet" href="{css}">
<link rel="stylesheet" href="{own_css}">
</head>
<body>
<main>
<h1 class="title">{title}: API documentation</h1>
<p>The OpenAPI document itself: <a href="{spec}">{spec}</a>. Send an API token as
<code>Authorization: Bearer &lt;token&gt;</code>.</p>
<div id="swagger-ui" data-openapi="{spec}"></div>
</main>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


@public
def api_docs() -> Response:
    """The documentation page: Swagger UI reading this app's OpenAPI document."""
    def asset(name: str) -> str:
        return url_for("assets.static", filename=f"api-docs/{name}")

    html = PAGE.format(title=escape(current_app.config["API_TITLE"]), css=asset("swagger-ui.css"),
                       own_css=asset("api-docs.css"), bundle=asset("swagger-ui-bundle.js"), init=asset("api-docs.js"),
                       spec=url_for("api-docs.openapi_json"))
    return Response(html, mimetype="text/html")


def init_app(app: Flask) -> None:
    app.add_url_rule("/api/docs", "api_docs", api_docs)
