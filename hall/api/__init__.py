"""The hall node's HTTP API (FastAPI): routers, auth dependencies, the event stream, pages."""
