"""The hall's HTTP client for the central: signed requests, clock-offset correction, typed errors."""

from __future__ import annotations

import json
import logging
import ssl
import time
from urllib.parse import urlencode, urlsplit

import httpx

from onewindow import http
from sync import signing

log = logging.getLogger(__name__)


class SyncError(Exception):
    """A failed exchange with the central. `retry` says whether backing off and retrying helps."""

    def __init__(self, code: str, message: str, message_en: str, *, retry: bool,
                 acked_upto: int | None = None):
        super().__init__(f"{code}: {message_en}")
        self.code, self.message, self.message_en = code, message, message_en
        self.retry, self.acked_upto = retry, acked_upto


class CentralClient:
    """Signs every request with the hall's credential; verifies TLS against `ca_file` if given."""

    def __init__(self, base_url: str, hall_id: str, secret: str, *, ca_file: str | None = None,
                 client_cert: str | None = None, client_key: str | None = None,
                 timeout: float = 30.0, clock=time.time, clock_offset: float = 0.0):
        self.base_url = base_url.rstrip("/")
        self.base_path = urlsplit(self.base_url).path
        self.hall_id, self.secret = hall_id, secret
        self.clock = clock
        self.clock_offset = clock_offset
        verify: ssl.SSLContext | bool = True
        if ca_file or client_cert:
            verify = ssl.create_default_context(cafile=ca_file or None)
            if client_cert:
                # Mutual TLS: the hall shows a certificate from the city's CA as well as
                # signing every request with its key.
                verify.load_cert_chain(client_cert, client_key or None)
        # The central is outside the hall's LAN: proxy settings from the environment apply.
        self.http = http.make_client(headers={"User-Agent": "onewindow-sync/1"},
                                     timeout_s=timeout, verify=verify, trust_env=True)

    @classmethod
    def from_config(cls, cfg, *, hall_key: str | None = None, timeout: float = 30.0) -> CentralClient:
        """The client a hall process uses: its central, credential, CA and (mutual TLS) its
        own certificate, all from `[sync]`. The hall key comes from a key file or the systemd
        credential (onewindow.secrets) when one is there, else from hall.toml."""
        if hall_key is None:
            from onewindow.secrets import HALL_KEY, read_secret

            hall_key = read_secret(HALL_KEY)
        return cls(cfg.sync.central_url, cfg.hall.id, hall_key or cfg.sync.hall_key,
                   ca_file=cfg.sync.ca_file or None,
                   client_cert=getattr(cfg.sync, "client_cert", "") or None,
                   client_key=getattr(cfg.sync, "client_key", "") or None, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def _request(self, method: str, path: str, body: bytes = b"",
                 headers: dict | None = None) -> httpx.Response:
        for attempt in range(2):
            signed = signing.sign_headers(self.hall_id, self.secret, method,
                                          self.base_path + path, body,
                                          now=self.clock() + self.clock_offset)
            try:
                resp = self.http.request(method, self.base_url + path, content=body,
                                         headers={**signed, **(headers or {}),
                                                  **({"Content-Type": "application/json"}
                                                     if body else {})})
            except httpx.TimeoutException as exc:
                raise SyncError("timeout", "连接中心超时", f"central timed out: {exc}",
                                retry=True) from None
            except httpx.HTTPError as exc:
                if _is_certificate_error(exc):
                    raise SyncError("tls", "中心的证书不受信任，已拒绝连接",
                                    f"the central's certificate is not trusted: {exc}",
                                    retry=True) from None
                raise SyncError("network", "无法连接中心（网络中断？）",
                                f"cannot reach the central: {type(exc).__name__}: {exc}",
                                retry=True) from None
            if resp.status_code == 401 and attempt == 0:
                err = _error_of(resp)
                if err.get("code") == "clock_skew" and "server_time" in _json(resp):
                    # As the AWS SDKs do: learn the offset from the server and retry at once.
                    self.clock_offset = float(_json(resp)["server_time"]) - self.clock()
                    log.warning("clock differs from the central by %.0f s; correcting",
                                self.clock_offset)
                    continue
            return resp
        return resp

    def _raise_for(self, resp: httpx.Response) -> None:
        if resp.status_code < 400:
            return
        err = _error_of(resp)
        code = err.get("code") or f"http_{resp.status_code}"
        message = err.get("message") or f"中心返回错误 {resp.status_code}"
        message_en = err.get("message_en") or f"central answered HTTP {resp.status_code}"
        retry = resp.status_code >= 500 or resp.status_code in (408, 429) \
            or code in ("cursor_ahead", "seq_gap")
        raise SyncError(code, message, message_en, retry=retry,
                        acked_upto=_json(resp).get("acked_upto"))

    def push_raw(self, body: bytes) -> dict:
        """POST a prepared batch body; returns the acknowledgement {acked_upto, stored, …}."""
        resp = self._request("POST", "/sync/v1/events", body)
        self._raise_for(resp)
        ack = _json(resp)
        if not isinstance(ack.get("acked_upto"), int):
            raise SyncError("bad_ack", "中心的确认无法识别", "unrecognised acknowledgement", retry=True)
        return ack

    def get_config(self, etag: str | None) -> tuple[int, str | None, dict | None]:
        """(status, etag, {version, toml}) — status 304 or 204 means nothing new."""
        resp = self._request("GET", "/sync/v1/config", headers={"If-None-Match": etag} if etag else None)
        self._raise_for(resp)
        if resp.status_code in (204, 304):
            return resp.status_code, etag, None
        return resp.status_code, resp.headers.get("etag"), _json(resp)

    def get_hotline(self, after: int, limit: int = 200) -> dict:
        """12345 hotline items for this hall after a rev (issue 16)."""
        resp = self._request("GET", "/sync/v1/hotline?" + urlencode({"after": after, "limit": limit}))
        if resp.status_code == 404:          # a central without the hotline channel: nothing to pull
            return {"items": [], "cursor": after, "more": False}
        self._raise_for(resp)
        return _json(resp)

    def get_appointments(self, date: str, after: int, limit: int = 500) -> dict:
        path = "/sync/v1/appointments?" + urlencode({"date": date, "after": after, "limit": limit})
        resp = self._request("GET", path)
        self._raise_for(resp)
        return _json(resp)

    def post_report(self, report: dict) -> dict:
        """The hall's small health report for the central's fleet view."""
        body = json.dumps(report, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        resp = self._request("POST", "/sync/v1/report", body)
        self._raise_for(resp)
        return _json(resp)

    def get_own_events(self, after: int, limit: int = 1000) -> dict:
        """This hall's own events the central holds after `after`: {events, acked_upto, more}
        (the recovery after a restore from backup, docs/sync-protocol.md §10)."""
        path = "/sync/v1/events?" + urlencode({"after": after, "limit": limit})
        resp = self._request("GET", path)
        self._raise_for(resp)
        return _json(resp)

    def push_relay(self, body: bytes) -> dict:
        """POST the phone-page relay's views (sync/relay.py); returns {ok, actions}."""
        resp = self._request("POST", "/sync/v1/relay", body)
        self._raise_for(resp)
        return _json(resp)

    def get_matter_updates(self, after: int, limit: int = 200) -> dict:
        """Matter steps central set for this hall (central/matters.py), after a cursor."""
        path = "/sync/v1/matter-updates?" + urlencode({"after": after, "limit": limit})
        resp = self._request("GET", path)
        self._raise_for(resp)
        return _json(resp)


def _json(resp: httpx.Response) -> dict:
    try:
        data = resp.json()
    except (ValueError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _error_of(resp: httpx.Response) -> dict:
    err = _json(resp).get("error")
    return err if isinstance(err, dict) else {}


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
