"""Bookinfo's ratings service: each reviewer's stars for a product, as JSON on port 9080."""

from __future__ import annotations

from aiohttp import web

from istiotui.local.workloads import serving

RATINGS = {"Reviewer1": 5, "Reviewer2": 4}


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "Ratings is healthy"})


async def ratings(request: web.Request) -> web.Response:
    raw = request.match_info["id"]
    if not raw.isdigit():
        return web.json_response({"error": "please provide numeric product ID"}, status=400)
    return web.json_response({"id": int(raw), "ratings": dict(RATINGS)})


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/ratings/{id}", ratings)
    return app


def main() -> None:
    serving.run(make_app, "Bookinfo ratings (istiotui local workload)", 9080)


if __name__ == "__main__":
    main()
