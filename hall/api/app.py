"""Builds the hall node's FastAPI application: routers, auth, limits, errors, pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import onewindow
from hall.api.limits import ApiLimits, RateLimiter, SizeLimitMiddleware
from hall.auth import AuthService
from hall.errors import DomainError
from onewindow import import_if_present

log = logging.getLogger(__name__)

# Routers owned by other engineers; included when their module imports.
OPTIONAL_ROUTERS = ["hall.api.display_layouts", "hall.api.manager",
                    "hall.api.matters"]
OPTIONAL_ROUTERS += ["hall.api.pin_locks"]   # issue 15: a manager unlocks a locked-out device
OPTIONAL_ROUTERS += ["hall.api.device_status"]   # issue 11: kiosks report paper, scanner
OPTIONAL_ROUTERS += ["hall.api.intake"]   # issue 16: ID-card check-in
OPTIONAL_ROUTERS += ["hall.api.revisit"]   # 电话回访 (issue 13)

_HTTP_MESSAGES = {
    400: ("请求无效", "Bad request"),
    401: ("需要登录或设备令牌", "Sign in or send a device token"),
    403: ("无权执行此操作", "You are not allowed to do this"),
    404: ("没有找到该地址", "No such address"),
    405: ("不支持该请求方法", "Method not allowed"),
    413: ("请求内容过大", "Request too large"),
    429: ("请求过于频繁，请稍后再试", "Too many requests; try again shortly"),
}


def create_app(config, store=None, engine=None, *, db_path=None, limits: ApiLimits | None = None,
               clock=None, config_path=None, start_devices: bool = False) -> FastAPI:
    """The hall API app. Pass an open `store` and `engine` to share them (tests, demo);
    otherwise `db_path` is opened here. The app owns nothing it was handed."""
    from hall import events as hall_events

    limits = limits or ApiLimits()
    if store is None:
        from hall.store import Store

        if db_path is None:
            raise ValueError("create_app needs a store or a db_path")
        store = Store.open(db_path)
    if engine is None:
        from hall.engine import Engine

        engine = Engine(store, config, clock=clock, feed=hall_events.EventFeed())
    feed = getattr(engine, "feed", None)

    from hall.api.hub import EventHub

    hub = EventHub(store, feed, hall_events.read_events)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        hub.start(asyncio.get_running_loop())
        watcher = ConfigWatcher(app, config_path) if config_path else None
        binding = None
        from sync.relay import start_for as start_relay

        relay = start_relay(app)
        app.state.relay = relay
        if start_devices:
            from hall.devices import start_from_config
            binding = start_from_config(engine)
        try:
            if watcher:
                watcher.start()
            yield
        finally:
            if relay is not None:
                relay.stop()
            if binding is not None:
                binding.stop()
            if watcher:
                watcher.stop()
            hub.stop()

    app = FastAPI(
        title="OneWindow hall node API",
        version=onewindow.__version__,
        description="政务服务大厅 hall node: tickets, windows, ratings, cases, live events.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI would load from a CDN; the schema itself is served
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.engine = engine
    # The manager's local settings layer (hall.config_layers, owned by the manager pages) is
    # applied on top of hall.toml when present; base_config keeps the file's own values.
    app.state.base_config = config
    app.state.config = _apply_local_layer(store, engine, config)
    app.state.hub = hub
    app.state.limits = limits
    app.state.auth = AuthService(store, throttle_seconds=limits.pin_throttle_seconds)
    app.state.rate_limiter = RateLimiter(limits.public_rate_per_second, limits.public_burst)
    app.state.open_streams = {}
    app.add_middleware(SizeLimitMiddleware, limits=limits)
    _install_error_handlers(app)

    from hall.api import events, pages, routes, windows

    for module in (routes, windows, events):
        app.include_router(module.router, prefix="/api/v1")
    for name in OPTIONAL_ROUTERS:
        module = import_if_present(name)
        router = getattr(module, "router", None)
        if router is not None:
            app.include_router(router)
    pages.mount(app)
    return app


_SECRET_SEGMENT = re.compile(r"(/t/|/c/|/m/|/tickets/)[^/]+")


def loggable_path(request: Request) -> str:
    """The path as a log may hold it: the route's template (/api/v1/tickets/{token}), never
    the citizen's token or page code in the real path."""
    route = request.scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return template
    return _SECRET_SEGMENT.sub(r"\1***", request.url.path)


class ConfigWatcher:
    """Takes in a configuration another process applied (sync pulled a central snapshot):
    when the database's config hash moves, hall.toml, the central's applied snapshot
    (hall.central_layer, kept in the database) and the local layer are read again."""

    def __init__(self, app: FastAPI, config_path, interval: float = 2.0):
        self.app, self.path, self.interval = app, config_path, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="config-watcher", daemon=True)
        self._seen = self._hash()

    def _hash(self):
        with self.app.state.store.read() as c:
            row = c.execute("SELECT value FROM meta WHERE key = 'config_hash'").fetchone()
        return row[0] if row else None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        from hall.central_layer import load_effective
        from hall.config import ConfigError

        while not self._stop.wait(self.interval):
            try:
                current = self._hash()
                if current == self._seen:
                    continue
                self._seen = current
                base = load_effective(self.path, self.app.state.store.path)
                self.app.state.base_config = base
                effective = _apply_local_layer(self.app.state.store, self.app.state.engine, base)
                self.app.state.engine.apply_config(effective)   # no new event when nothing changed
                self.app.state.config = effective
                self._seen = self._hash()
                log.info("configuration reloaded from %s", self.path)
            except ConfigError as exc:
                log.error("configuration changed but %s cannot be used: %s", self.path, exc)
            except Exception:  # noqa: BLE001 - the hall keeps serving on the config it has
                log.exception("configuration reload failed")


def _apply_local_layer(store, engine, config):
    layers = import_if_present("hall.config_layers")
    return layers.apply_at_start(store, engine, config) if layers else config


def _error(status: int, code: str, message: str, message_en: str, headers=None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "message_en": message_en}},
                        status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        headers = None
        if getattr(exc, "retry_after", None):
            headers = {"Retry-After": str(exc.retry_after)}
        if exc.status == 401:
            headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
        return JSONResponse(exc.to_json(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        where, what = "", ""
        if errors and errors[0].get("type") == "json_invalid":
            return _error(422, "invalid_json", "请求内容不是有效的 JSON", "The request body is not valid JSON")
        if errors:
            first = errors[0]
            where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
            what = str(first.get("msg", ""))[:200]
        return _error(422, "invalid_input", f"请求内容不正确：{where}（{what}）",
                      f"Invalid request: {where} ({what})")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        zh, en = _HTTP_MESSAGES.get(exc.status_code, ("请求失败", "Request failed"))
        return _error(exc.status_code, f"http_{exc.status_code}", zh, en,
                      headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, loggable_path(request))
        return _error(500, "internal", "服务器内部错误，已记录；请重试或联系管理员",
                      "Internal error (logged); retry or call the hall manager")
