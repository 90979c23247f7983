"""Bookinfo's services as real processes behind a routing-only forwarder (no Envoy here)."""

from __future__ import annotations

import re
import time

import aiohttp
import pytest

from istiotui.local.addresses import sidecar_ip
from workloads.conftest import Bookinfo

pytestmark = pytest.mark.asyncio(loop_scope="session")

POD_LINE = re.compile(r"reviews-v.*")


async def get_page(url: str, session: aiohttp.ClientSession | None = None) -> tuple[int, str]:
    own = session is None
    session = session or aiohttp.ClientSession()
    try:
        async with session.get(url) as resp:
            return resp.status, await resp.text()
    finally:
        if own:
            await session.close()


@pytest.mark.parametrize(
    ("version", "pod", "color"),
    [
        ("v1", "reviews-v1-5b667bcbf8-2zrbm", None),
        ("v2", "reviews-v2-5b667bcbf8-6xzfn", "black"),
        ("v3", "reviews-v3-7d99fd7f9c-q8x5l", "red"),
    ],
)
async def test_page_names_the_reviews_pod_and_its_stars(
    bookinfo: Bookinfo, version: str, pod: str, color: str | None
) -> None:
    bookinfo.forwarder.reset()
    bookinfo.route_reviews(version)
    status, html = await get_page(f"{bookinfo.productpage}/productpage")
    assert status == 200
    # What the lab's `grep -o "reviews-v.*"` prints: the pod's name alone, once per review, as
    # Bookinfo 1.20's page (Istio 1.24's samples) prints it.
    assert POD_LINE.findall(html) == [pod, pod]
    assert "Reviews served by:" in html
    assert "The Comedy of Errors" in html
    assert "William Shakespeare" not in html  # details are listed by field, author in summary
    assert "paperback" in html
    if color is None:
        assert "★" not in html and "color=" not in html
    else:
        colors = re.findall(r'<font color="(\w+)">(★*)(☆*)</font>', html)
        assert colors == [(color, "★" * 5, ""), (color, "★" * 4, "☆")]
    # productpage called details and reviews through its sidecar, reviews called ratings
    # through its own (except v1, which has ratings disabled).
    pp_sidecar = sidecar_ip(bookinfo.pod("productpage").spec.pod_ip)
    assert {s.host for s in bookinfo.forwarder.seen if s.sidecar == pp_sidecar} == {
        "details:9080",
        "reviews:9080",
    }
    ratings_calls = bookinfo.forwarder.for_host("ratings:9080")
    review_sidecar = sidecar_ip(bookinfo.pod(f"reviews-{version}").spec.pod_ip)
    if version == "v1":
        assert ratings_calls == []
    else:
        assert [s.sidecar for s in ratings_calls] == [review_sidecar]
        assert ratings_calls[0].path == "/ratings/0"


async def test_login_as_jason_sends_end_user_upstream(bookinfo: Bookinfo) -> None:
    bookinfo.forwarder.reset()
    bookinfo.route_reviews("v2")
    trace = {"x-request-id": "6c1b0a5e-test", "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7"}
    jar = aiohttp.CookieJar(unsafe=True)  # the page is on an IP address
    async with aiohttp.ClientSession(headers=trace, cookie_jar=jar) as session:
        status, anonymous = await get_page(f"{bookinfo.productpage}/productpage", session)
        assert status == 200 and "Sign in" in anonymous
        assert all("end-user" not in s.headers for s in bookinfo.forwarder.seen)

        bookinfo.forwarder.reset()
        async with session.post(
            f"{bookinfo.productpage}/login",
            data={"username": "jason", "passwd": ""},
            headers={"Referer": f"{bookinfo.productpage}/productpage"},
            allow_redirects=False,
        ) as resp:
            assert resp.status == 302
            assert resp.headers["Location"].endswith("/productpage")
        status, page = await get_page(f"{bookinfo.productpage}/productpage", session)
        assert status == 200 and "Signed in as <b>jason</b>" in page

    seen = bookinfo.forwarder.seen
    assert {s.host for s in seen} == {"details:9080", "reviews:9080", "ratings:9080"}
    for s in seen:
        # productpage sets end-user from its session; reviews passes it on to ratings.
        assert s.headers.get("end-user") == "jason", s
        assert s.headers.get("x-request-id") == trace["x-request-id"], s
        assert s.headers.get("x-b3-traceid") == trace["x-b3-traceid"], s
    assert "session=" in bookinfo.forwarder.for_host("reviews:9080")[0].headers.get("cookie", "")

    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{bookinfo.productpage}/logout", allow_redirects=False) as resp,
    ):
        assert resp.status == 302


async def test_a_forged_session_cookie_is_ignored(bookinfo: Bookinfo) -> None:
    bookinfo.forwarder.reset()
    bookinfo.route_reviews("v1")
    forged = "eyJ1c2VyIjogImphc29uIn0.bm90LXRoZS1tYWM"  # {"user": "jason"} with a wrong MAC
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookies={"session": forged}, cookie_jar=jar) as session:
        status, page = await get_page(f"{bookinfo.productpage}/productpage", session)
    assert status == 200 and "Sign in" in page
    assert all("end-user" not in s.headers for s in bookinfo.forwarder.seen)


async def test_no_connection_pooling_upstream(bookinfo: Bookinfo) -> None:
    bookinfo.forwarder.reset()
    bookinfo.route_reviews("v1")
    for _ in range(3):
        status, _page = await get_page(f"{bookinfo.productpage}/productpage")
        assert status == 200
    pp_sidecar = sidecar_ip(bookinfo.pod("productpage").spec.pod_ip)
    calls = [s for s in bookinfo.forwarder.seen if s.sidecar == pp_sidecar]
    assert len(calls) == 6
    assert len({s.connection for s in calls}) == 6  # a new connection for every call


async def test_ratings_failure_shows_ratings_unavailable(bookinfo: Bookinfo) -> None:
    bookinfo.forwarder.reset()
    bookinfo.route_reviews("v3")
    saved = bookinfo.forwarder.routes["ratings:9080"]
    # Nothing listens there: the forwarder answers 503, as a proxy does for a dead upstream.
    bookinfo.forwarder.routes["ratings:9080"] = f"{bookinfo.pod('ratings').spec.pod_ip}:9"
    try:
        status, html = await get_page(f"{bookinfo.productpage}/productpage")
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{bookinfo.productpage}/api/v1/products/0/ratings") as resp,
        ):
            api_status, api_body = resp.status, await resp.json()
    finally:
        bookinfo.forwarder.routes["ratings:9080"] = saved
    assert status == 200
    assert html.count("<i>Ratings service is currently unavailable</i>") == 2
    assert "★" not in html
    assert len(POD_LINE.findall(html)) == 2  # reviews itself answered
    assert api_status == 503
    assert api_body == {"error": "Sorry, product ratings are currently unavailable for this book."}


async def test_details_failure_text(bookinfo: Bookinfo) -> None:
    bookinfo.forwarder.reset()
    bookinfo.route_reviews("v1")
    saved = bookinfo.forwarder.routes.pop("details:9080")
    try:
        status, html = await get_page(f"{bookinfo.productpage}/productpage")
    finally:
        bookinfo.forwarder.routes["details:9080"] = saved
    assert status == 200
    assert "Error fetching product details" in html
    assert "Sorry, product details are currently unavailable for this book." in html
    assert len(POD_LINE.findall(html)) == 2


async def test_reviews_delay_gives_the_reviews_error_after_two_attempts(bookinfo: Bookinfo) -> None:
    """The lab's fault-injection finding: 3 s + one retry of 3 s, so about 6 s, then the error."""
    bookinfo.forwarder.reset()
    bookinfo.route_reviews("v2")
    bookinfo.forwarder.delays["reviews:9080"] = 7.0
    try:
        began = time.monotonic()
        status, html = await get_page(f"{bookinfo.productpage}/productpage")
        elapsed = time.monotonic() - began
    finally:
        bookinfo.forwarder.delays.clear()
    assert status == 200
    assert 5.5 <= elapsed <= 7.5, elapsed
    assert "Error fetching product reviews" in html
    assert "Sorry, product reviews are currently unavailable for this book." in html
    assert POD_LINE.findall(html) == []
    assert len(bookinfo.forwarder.for_host("reviews:9080")) == 2  # two attempts
    assert "paperback" in html  # details still shown


async def test_api_and_health_routes(bookinfo: Bookinfo) -> None:
    bookinfo.route_reviews("v3")
    base = bookinfo.productpage
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/api/v1/products") as resp:
            products = await resp.json()
        assert products[0]["id"] == 0 and products[0]["title"] == "The Comedy of Errors"
        async with session.get(f"{base}/api/v1/products/0") as resp:
            assert resp.status == 200
            assert (await resp.json())["ISBN-13"] == "123-1234567890"
        async with session.get(f"{base}/api/v1/products/0/reviews") as resp:
            reviews = await resp.json()
        assert reviews["podname"] == "reviews-v3-7d99fd7f9c-q8x5l"
        async with session.get(f"{base}/api/v1/products/0/ratings") as resp:
            assert await resp.json() == {"id": 0, "ratings": {"Reviewer1": 5, "Reviewer2": 4}}
        async with session.get(f"{base}/api/v1/products/zero") as resp:
            assert resp.status == 400
        async with session.get(f"{base}/health") as resp:
            assert resp.status == 200 and "healthy" in await resp.text()
        for path in ("/", "/index.html"):
            async with session.get(f"{base}{path}") as resp:
                assert resp.status == 200 and "productpage" in await resp.text()
        async with session.get(f"{base}/static/bookinfo.css") as resp:
            assert resp.status == 200 and "served-by" in await resp.text()


async def test_services_json_and_bad_ids(bookinfo: Bookinfo) -> None:
    async with aiohttp.ClientSession() as session:
        details = f"http://{bookinfo.pod('details').spec.pod_ip}:9080"
        async with session.get(f"{details}/details/7") as resp:
            assert await resp.json() == {
                "id": 7,
                "author": "William Shakespeare",
                "year": 1595,
                "type": "paperback",
                "pages": 200,
                "publisher": "PublisherA",
                "language": "English",
                "ISBN-10": "1234567890",
                "ISBN-13": "123-1234567890",
            }
        async with session.get(f"{details}/details/abc") as resp:
            assert resp.status == 400 and "numeric" in (await resp.json())["error"]
        ratings = f"http://{bookinfo.pod('ratings').spec.pod_ip}:9080"
        async with session.get(f"{ratings}/ratings/abc") as resp:
            assert resp.status == 400
        for name in ("details", "ratings", "reviews-v1"):
            async with session.get(f"http://{bookinfo.pod(name).spec.pod_ip}:9080/health") as r:
                assert r.status == 200 and "healthy" in (await r.json())["status"]

        shapes = {}
        for version in ("v1", "v2", "v3"):
            pod = bookinfo.pod(f"reviews-{version}")
            async with session.get(f"http://{pod.spec.pod_ip}:9080/reviews/0") as resp:
                assert resp.status == 200
                body = await resp.json()
            assert body["id"] == "0" and body["podname"] == pod.spec.pod
            assert body["clustername"] == "null"
            assert [r["reviewer"] for r in body["reviews"]] == ["Reviewer1", "Reviewer2"]
            shapes[version] = [r.get("rating") for r in body["reviews"]]
    assert shapes["v1"] == [None, None]
    assert shapes["v2"] == [{"stars": 5, "color": "black"}, {"stars": 4, "color": "black"}]
    assert shapes["v3"] == [{"stars": 5, "color": "red"}, {"stars": 4, "color": "red"}]
