"""Bookinfo's reviews service (v1, v2, v3 are this one program with different env).

`ENABLE_RATINGS` (default true) decides whether it calls ratings; `STAR_COLOR` (default black)
colours the stars and, as in Bookinfo's own reviews, also picks the ratings timeout: 10 s for
black (v2), 2.5 s otherwise (v3). That hard-coded timeout is what the lab's fault-injection step
runs into. Any ratings failure becomes a per-review error, never a failed response.
"""

from __future__ import annotations

import os
from typing import Any

import aiohttp
from aiohttp import web

from istiotui.local.workloads import outbound, propagation, serving

RATINGS_ERROR = "Ratings service is currently unavailable"

REVIEWS = (
    (
        "Reviewer1",
        "A brisk, silly and generous comedy: two pairs of twins and one day of confusion kept me "
        "laughing to the last scene.",
    ),
    (
        "Reviewer2",
        "The mistaken identities pile up like plates in a juggling act. Shakespeare at his most "
        "playful.",
    ),
)


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


class Settings:
    def __init__(self, env: dict[str, str] | os._Environ[str]) -> None:
        self.ratings_enabled = _flag(env.get("ENABLE_RATINGS"), True)
        self.star_color = env.get("STAR_COLOR") or "black"
        self.ratings_timeout = 10.0 if self.star_color == "black" else 2.5
        domain = env.get("SERVICES_DOMAIN")
        host = (env.get("RATINGS_HOSTNAME") or "ratings") + (f".{domain}" if domain else "")
        port = env.get("RATINGS_SERVICE_PORT") or "9080"
        self.ratings_url = f"http://{host}:{port}/ratings"
        self.podname = env.get("HOSTNAME") or "reviews"
        self.clustername = env.get("CLUSTER_NAME") or "null"


SETTINGS = web.AppKey("settings", Settings)
SESSION = web.AppKey("session", aiohttp.ClientSession)


async def fetch_ratings(app: web.Application, product_id: str, headers: dict[str, str]) -> Any:
    settings = app[SETTINGS]
    try:
        status, data = await outbound.get_json(
            app[SESSION],
            f"{settings.ratings_url}/{product_id}",
            headers=headers,
            timeout=settings.ratings_timeout,
        )
    except (aiohttp.ClientError, TimeoutError, outbound.OutboundError):
        return None
    if status != 200 or not isinstance(data, dict):
        return None
    return data.get("ratings")


def build_reviews(product_id: str, settings: Settings, ratings: Any) -> dict[str, Any]:
    reviews = []
    for reviewer, text in REVIEWS:
        review: dict[str, Any] = {"reviewer": reviewer, "text": text}
        if settings.ratings_enabled:
            stars = ratings.get(reviewer) if isinstance(ratings, dict) else None
            if isinstance(stars, int):
                review["rating"] = {"stars": stars, "color": settings.star_color}
            else:
                review["rating"] = {"error": RATINGS_ERROR}
        reviews.append(review)
    return {
        "id": product_id,
        "podname": settings.podname,
        "clustername": settings.clustername,
        "reviews": reviews,
    }


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "Reviews is healthy"})


async def reviews(request: web.Request) -> web.Response:
    product_id = request.match_info["id"]
    if not product_id.isdigit():
        return web.json_response({"error": "please provide numeric product id"}, status=400)
    settings = request.app[SETTINGS]
    ratings = None
    if settings.ratings_enabled:
        headers = propagation.pick(request.headers, propagation.REVIEWS_HEADERS)
        ratings = await fetch_ratings(request.app, product_id, headers)
    return web.json_response(build_reviews(product_id, settings, ratings))


async def _client(app: web.Application):  # type: ignore[no-untyped-def]
    app[SESSION] = outbound.unpooled_session()
    yield
    await app[SESSION].close()


def make_app() -> web.Application:
    app = web.Application()
    app[SETTINGS] = Settings(os.environ)
    app.cleanup_ctx.append(_client)
    app.router.add_get("/health", health)
    app.router.add_get("/reviews/{id}", reviews)
    return app


def main() -> None:
    serving.run(make_app, "Bookinfo reviews (istiotui local workload)", 9080)


if __name__ == "__main__":
    main()
