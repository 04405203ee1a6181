"""The library's one HTTP policy, attacked the way issue #12 found it open.

Two loopback servers stand in for a carrier (127.0.0.1) and an attacker (reached as
"localhost", another host name for the policy). The attacker records what reaches it.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Self

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers import http
from custom_components.japan_sim_data.carriers.errors import (
    CarrierConnectionError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierRateLimitError,
    quoted_code,
)
from custom_components.japan_sim_data.carriers.http import HostPolicy, check_token
from tests.conftest import ServeApp

SECRET = "sentinel-token-73"


class Attacker:
    """A host outside the carrier's: whatever reaches it is a leak."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._record)
        return app

    async def _record(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.seen.append(f"{request.method} {request.path_qs} {dict(request.headers)} {body}")
        return web.json_response({"stolen": True})


async def _carrier_redirecting_to(serve: ServeApp, location: str, status: int) -> str:
    async def redirect(_request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": location})

    app = web.Application()
    app.router.add_route("*", "/login", redirect)
    return await serve(app)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_credentials_never_follow_a_redirect_to_another_host(
    serve: ServeApp, http_session: aiohttp.ClientSession, status: int
) -> None:
    attacker = Attacker()
    attacker_url = (await serve(attacker.app())).replace("127.0.0.1", "localhost")
    carrier_url = await _carrier_redirecting_to(serve, f"{attacker_url}/steal", status)

    with pytest.raises(CarrierConnectionError, match="outside its own") as caught:
        await http.request(
            http_session,
            "POST",
            f"{carrier_url}/login",
            headers={"X-AUTH": SECRET},
            json={"password": SECRET},
        )
    assert attacker.seen == []
    assert SECRET not in str(caught.value)
    assert "localhost" not in str(caught.value)


async def test_https_never_redirects_to_http() -> None:
    """An https carrier that points to http would hand the credentials over in clear.

    No local server speaks TLS here, so a stub session answers the first hop; the check must
    refuse before a second request exists.
    """

    class OneRedirect:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def request(self, method: str, url: object, **_kwargs: object) -> _FakeResponse:
            self.calls.append(str(url))
            return _FakeResponse(307, {"Location": "http://carrier.example/clear"})

    session = OneRedirect()
    with pytest.raises(CarrierConnectionError, match="unencrypted"):
        await http.request(
            session,  # type: ignore[arg-type]
            "POST",
            "https://carrier.example/login",
            json={"p": SECRET},
        )
    assert session.calls == ["https://carrier.example/login"]


class _FakeResponse:
    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.status = status
        self.headers = headers

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None


async def test_redirects_within_the_policy_are_followed_with_their_method(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    seen: list[tuple[str, str, str]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append((request.method, request.path, await request.text()))
        if request.path == "/start":
            return web.Response(status=307, headers={"Location": "/again"})
        if request.path == "/again":
            return web.Response(status=302, headers={"Location": "/end"})
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    base_url = await serve(app)
    reply = await http.request(http_session, "POST", f"{base_url}/start", json={"a": 1})

    assert reply.json() == {"ok": True}
    assert reply.url == f"{base_url}/end"
    # 307 keeps the method and body; 302 after POST becomes a GET without one, as in browsers.
    assert seen == [
        ("POST", "/start", '{"a": 1}'),
        ("POST", "/again", '{"a": 1}'),
        ("GET", "/end", ""),
    ]


async def test_a_redirect_to_another_allowed_host_is_followed(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    """A carrier's login host may send us on to its usage host when the policy names both."""

    async def usage(_request: web.Request) -> web.Response:
        return web.Response(text="usage")

    usage_app = web.Application()
    usage_app.router.add_get("/usage", usage)
    usage_url = (await serve(usage_app)).replace("127.0.0.1", "localhost")
    carrier_url = await _carrier_redirecting_to(serve, f"{usage_url}/usage", 302)

    policy = HostPolicy.of(carrier_url, usage_url)
    reply = await http.request(http_session, "GET", f"{carrier_url}/login", policy=policy)
    assert reply.text == "usage"
    assert policy.hosts == frozenset({"127.0.0.1", "localhost"})


async def test_a_request_to_a_host_outside_the_policy_is_never_sent(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    attacker = Attacker()
    attacker_url = await serve(attacker.app())
    with pytest.raises(CarrierConnectionError):
        await http.request(
            http_session,
            "GET",
            f"{attacker_url}/x",
            policy=HostPolicy.of("https://carrier.example"),
        )
    assert attacker.seen == []


async def test_endless_redirects_end(serve: ServeApp, http_session: aiohttp.ClientSession) -> None:
    hops: list[str] = []

    async def loop(request: web.Request) -> web.Response:
        hops.append(request.path)
        return web.Response(status=302, headers={"Location": "/loop"})

    app = web.Application()
    app.router.add_get("/loop", loop)
    base_url = await serve(app)
    with pytest.raises(CarrierConnectionError, match="too many"):
        await http.request(http_session, "GET", f"{base_url}/loop")
    assert len(hops) == http.MAX_REDIRECTS + 1


async def test_a_huge_body_is_refused_without_reading_it_whole(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    sent: list[int] = []

    async def endless(request: web.Request) -> web.StreamResponse:
        """An endless chunked answer: only the cap stops the reader."""
        response = web.StreamResponse()
        await response.prepare(request)
        chunk = b"x" * 65536
        try:
            for _ in range(100_000):
                await response.write(chunk)
                sent.append(len(chunk))
        except ConnectionError, RuntimeError:
            pass
        return response

    async def declared(_request: web.Request) -> web.Response:
        return web.Response(body=b"y" * (http.MAX_BODY_BYTES + 1))

    app = web.Application()
    app.router.add_get("/endless", endless)
    app.router.add_get("/declared", declared)
    base_url = await serve(app)

    with pytest.raises(CarrierParseError, match="larger than"):
        await http.request(http_session, "GET", f"{base_url}/endless")
    await asyncio.sleep(0.1)
    # The reader stopped near the cap: far from the gigabytes an endless answer would send.
    assert sum(sent) < 64 * http.MAX_BODY_BYTES
    with pytest.raises(CarrierParseError, match="larger than"):
        await http.request(http_session, "GET", f"{base_url}/declared")
    with pytest.raises(CarrierParseError, match="larger than 1 kB"):
        await http.request(http_session, "GET", f"{base_url}/declared", max_bytes=1024)


async def test_a_body_at_the_cap_is_read(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    async def exact(_request: web.Request) -> web.Response:
        return web.Response(text="z" * 1024)

    app = web.Application()
    app.router.add_get("/", exact)
    base_url = await serve(app)
    reply = await http.request(http_session, "GET", f"{base_url}/", max_bytes=1024)
    assert len(reply.text) == 1024


async def test_deeply_nested_json_is_a_parse_error(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    async def nested(_request: web.Request) -> web.Response:
        return web.Response(text="[" * 100_000 + "]" * 100_000, content_type="application/json")

    app = web.Application()
    app.router.add_get("/", nested)
    base_url = await serve(app)
    reply = await http.request(http_session, "GET", f"{base_url}/")
    with pytest.raises(CarrierParseError, match="not valid JSON"):
        reply.json()


async def test_undecodable_bodies_are_read_with_replacements(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    async def broken(_request: web.Request) -> web.Response:
        return web.Response(
            body=b'{"a": "\xff\xfe"}', headers={"Content-Type": "application/json; charset=nope"}
        )

    app = web.Application()
    app.router.add_get("/", broken)
    base_url = await serve(app)
    reply = await http.request(http_session, "GET", f"{base_url}/")
    assert reply.json() == {"a": "\ufffd\ufffd"}


async def test_shift_jis_pages_are_decoded_by_their_charset(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    async def page(_request: web.Request) -> web.Response:
        return web.Response(
            body="残りデータ量".encode("shift_jis"),
            headers={"Content-Type": "text/html; charset=Shift_JIS"},
        )

    app = web.Application()
    app.router.add_get("/", page)
    base_url = await serve(app)
    assert (await http.request(http_session, "GET", f"{base_url}/")).text == "残りデータ量"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        ("99999999999", http.MAX_RETRY_AFTER),
        ("Fri, 31 Dec 9999 23:59:59 GMT", http.MAX_RETRY_AFTER),
        ("Mon, 01 Jan 2001 00:00:00 GMT", 0.0),
        ("-5", None),
        ("1e9", None),
        ("１２０", None),
        ("soon", None),
        ("9" * 500, None),
        ("", None),
    ],
)
def test_retry_after_is_bounded_and_malformed_is_ignored(
    header: str, expected: float | None
) -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    assert http.retry_after_seconds(header, now) == expected


async def test_429_and_maintenance_carry_a_bounded_retry_after(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    async def slow_down(_request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "99999999999"})

    async def maintenance(_request: web.Request) -> web.Response:
        return web.Response(status=503, headers={"Retry-After": "600"}, text="<html>m</html>")

    app = web.Application()
    app.router.add_get("/429", slow_down)
    app.router.add_get("/503", maintenance)
    base_url = await serve(app)
    with pytest.raises(CarrierRateLimitError) as limited:
        await http.request(http_session, "GET", f"{base_url}/429")
    assert limited.value.retry_after == http.MAX_RETRY_AFTER
    with pytest.raises(CarrierMaintenanceError) as closed:
        await http.request(http_session, "GET", f"{base_url}/503")
    assert closed.value.retry_after == 600.0


@pytest.mark.parametrize(
    "value",
    [
        "abc\r\nX-Evil: 1",
        "with space",
        "",
        "ｔｏｋｅｎ",
        "a" * 4097,
        None,
        123,
        ["token"],
    ],
)
def test_check_token_refuses_what_cannot_go_back_in_a_header(value: object) -> None:
    with pytest.raises(CarrierParseError, match="unusable login token") as caught:
        check_token(value, "login token")
    assert "Evil" not in str(caught.value)


def test_check_token_keeps_a_usable_token() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln-_~+/="
    assert check_token(token, "login token") == token
    assert json.dumps(check_token("a" * 4096, "token"))


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("ERROR_CODE_032", "ERROR_CODE_032"),
        ("403001", "403001"),
        ("mio-sentinel-user@example.com " * 700, "an unrecognised code"),
        ("<html>maintenance</html>", "an unrecognised code"),
        ("", "an unrecognised code"),
    ],
)
def test_carrier_error_codes_reach_messages_only_when_they_look_like_codes(
    code: str, shown: str
) -> None:
    assert quoted_code(code) == shown
