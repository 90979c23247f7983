"""Bookinfo's details service: the book's bibliographic facts as JSON on port 9080."""

from __future__ import annotations

from aiohttp import web

from istiotui.local.workloads import serving


def book_details(product_id: int) -> dict[str, object]:
    return {
        "id": product_id,
        "author": "William Shakespeare",
        "year": 1595,
        "type": "paperback",
        "pages": 200,
        "publisher": "PublisherA",
        "language": "English",
        "ISBN-10": "1234567890",
        "ISBN-13": "123-1234567890",
    }


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "Details is healthy"})


async def details(request: web.Request) -> web.Response:
    raw = request.match_info["id"]
    if not raw.isdigit():
        return web.json_response({"error": "please provide numeric product id"}, status=400)
    return web.json_response(book_details(int(raw)))


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/details/{id}", details)
    return app


def main() -> None:
    serving.run(make_app, "Bookinfo details (istiotui local workload)", 9080)


if __name__ == "__main__":
    main()
