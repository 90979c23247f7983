"""Bookinfo's productpage: the book's page, assembled from details and reviews.

Upstream calls go through the pod's sidecar (`outbound`), one new connection per request (no
pooling), with Bookinfo's hard-coded timeouts: details and ratings one attempt of 3 s, reviews
two attempts of 3 s each, retried on any non-200 answer or error. So a 7 s delay behind reviews
shows the reviews error after about 6 s, which is the lab's fault-injection finding.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from istiotui.local.workloads import bookinfo_page, outbound, propagation, serving
from istiotui.local.workloads.session_cookie import COOKIE_NAME, SessionSigner

ATTEMPT_TIMEOUT = 3.0
REVIEWS_ATTEMPTS = 2
STATIC_DIR = Path(__file__).with_name("static")

PRODUCT = {
    "id": 0,
    "title": "The Comedy of Errors",
    "descriptionHtml": (
        '<a href="https://en.wikipedia.org/wiki/The_Comedy_of_Errors">Wikipedia Summary</a>: '
        "One of Shakespeare's earliest plays: two sets of identical twins, separated at birth, "
        "land in the same town on the same day, and everyone mistakes everyone."
    ),
}


class Upstreams:
    """Where productpage's three upstream services are, from Bookinfo's env variables."""

    def __init__(self, env: dict[str, str] | os._Environ[str]) -> None:
        domain = env.get("SERVICES_DOMAIN")
        suffix = f".{domain}" if domain else ""

        def url(service: str) -> str:
            host = env.get(f"{service.upper()}_HOSTNAME") or service
            port = env.get(f"{service.upper()}_SERVICE_PORT") or "9080"
            return f"http://{host}{suffix}:{port}/{service}"

        self.details = url("details")
        self.reviews = url("reviews")
        self.ratings = url("ratings")


UPSTREAMS = web.AppKey("upstreams", Upstreams)
SIGNER = web.AppKey("signer", SessionSigner)
SESSION = web.AppKey("session", aiohttp.ClientSession)


def current_user(request: web.Request) -> str | None:
    user = request.app[SIGNER].loads(request.cookies.get(COOKIE_NAME)).get("user")
    return user if isinstance(user, str) and user else None


def upstream_headers(request: web.Request) -> dict[str, str]:
    headers = propagation.pick(request.headers, propagation.PRODUCTPAGE_HEADERS)
    user = current_user(request)
    if user:
        headers["end-user"] = user
    return headers


async def _attempt(request: web.Request, url: str) -> tuple[int, Any]:
    """One upstream GET; errors and timeouts are (status 0, None), like a failed response."""
    try:
        return await outbound.get_json(
            request.app[SESSION], url, headers=upstream_headers(request), timeout=ATTEMPT_TIMEOUT
        )
    except (aiohttp.ClientError, TimeoutError, outbound.OutboundError):
        return 0, None


async def get_details(request: web.Request, product_id: int) -> tuple[int, dict[str, Any]]:
    status, data = await _attempt(request, f"{request.app[UPSTREAMS].details}/{product_id}")
    if status == 200 and isinstance(data, dict):
        return 200, data
    return status or 500, {"error": bookinfo_page.DETAILS_UNAVAILABLE}


async def get_reviews(request: web.Request, product_id: int) -> tuple[int, dict[str, Any]]:
    status = 0
    for _ in range(REVIEWS_ATTEMPTS):
        status, data = await _attempt(request, f"{request.app[UPSTREAMS].reviews}/{product_id}")
        if status == 200 and isinstance(data, dict):
            return 200, data
    return status or 500, {"error": bookinfo_page.REVIEWS_UNAVAILABLE}


async def get_ratings(request: web.Request, product_id: int) -> tuple[int, dict[str, Any]]:
    status, data = await _attempt(request, f"{request.app[UPSTREAMS].ratings}/{product_id}")
    if status == 200 and isinstance(data, dict):
        return 200, data
    return status or 500, {"error": bookinfo_page.RATINGS_UNAVAILABLE}


def _product_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise web.HTTPBadRequest(
            text='{"error": "please provide numeric product id"}', content_type="application/json"
        )
    return int(raw)


async def index(_: web.Request) -> web.Response:
    return web.Response(text=bookinfo_page.index_page(), content_type="text/html")


async def health(_: web.Request) -> web.Response:
    return web.Response(text="Product page is healthy")


async def productpage(request: web.Request) -> web.Response:
    # Sequential, as Bookinfo's productpage is: the page's latency is details + reviews.
    _, details = await get_details(request, 0)
    _, reviews = await get_reviews(request, 0)
    html = bookinfo_page.render(PRODUCT, current_user(request), details, reviews)
    return web.Response(text=html, content_type="text/html")


def _back(request: web.Request) -> str:
    return request.headers.get("Referer") or "/productpage"


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    user = str(form.get("username", "")).strip()
    response = web.HTTPFound(_back(request))
    if user:
        response.set_cookie(
            COOKIE_NAME, request.app[SIGNER].dumps({"user": user}), httponly=True, path="/"
        )
    return response


async def logout(request: web.Request) -> web.Response:
    response = web.HTTPFound(_back(request))
    response.del_cookie(COOKIE_NAME, path="/")
    return response


async def api_products(_: web.Request) -> web.Response:
    return web.json_response([PRODUCT])


async def api_product(request: web.Request) -> web.Response:
    status, data = await get_details(request, _product_id(request))
    return web.json_response(data, status=status)


async def api_reviews(request: web.Request) -> web.Response:
    status, data = await get_reviews(request, _product_id(request))
    return web.json_response(data, status=status)


async def api_ratings(request: web.Request) -> web.Response:
    status, data = await get_ratings(request, _product_id(request))
    return web.json_response(data, status=status)


async def _client(app: web.Application):  # type: ignore[no-untyped-def]
    app[SESSION] = outbound.unpooled_session()
    yield
    await app[SESSION].close()
    # Give force-closed transports a loop turn to finish closing before the loop stops.
    await asyncio.sleep(0)


def make_app() -> web.Application:
    app = web.Application()
    app[UPSTREAMS] = Upstreams(os.environ)
    app[SIGNER] = SessionSigner()
    app.cleanup_ctx.append(_client)
    app.router.add_get("/", index)
    app.router.add_get("/index.html", index)
    app.router.add_get("/health", health)
    app.router.add_post("/login", login)
    app.router.add_get("/logout", logout)
    app.router.add_get("/productpage", productpage)
    app.router.add_get("/api/v1/products", api_products)
    app.router.add_get("/api/v1/products/{id}", api_product)
    app.router.add_get("/api/v1/products/{id}/reviews", api_reviews)
    app.router.add_get("/api/v1/products/{id}/ratings", api_ratings)
    app.router.add_static("/static", STATIC_DIR)
    return app


def main() -> None:
    serving.run(make_app, "Bookinfo productpage (istiotui local workload)", 9080)


if __name__ == "__main__":
    main()
