"""The HTML pages: Flask blueprints and their templates; they call the services, never the JSON API."""
