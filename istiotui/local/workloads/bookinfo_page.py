"""The HTML of productpage's page: plain, readable, written for this project.

What a client looks for is kept exact: the failure texts and headings, and stars as glyphs with a
`color` attribute (none from reviews v1, black from v2, red from v3). Like the page of Bookinfo's
productpage 1.20 (the image Istio 1.24's samples run), each review ends with `Reviews served by:`
and, alone on the next line, the reviews pod's name: the lab's `grep -o "reviews-v.*"` prints
exactly that name, once per review (two lines per page), and nothing else on the page contains
`reviews-v`.
"""

from __future__ import annotations

from html import escape
from typing import Any

DETAILS_UNAVAILABLE = "Sorry, product details are currently unavailable for this book."
REVIEWS_UNAVAILABLE = "Sorry, product reviews are currently unavailable for this book."
RATINGS_UNAVAILABLE = "Sorry, product ratings are currently unavailable for this book."
DETAILS_ERROR_HEADING = "Error fetching product details"
REVIEWS_ERROR_HEADING = "Error fetching product reviews"

DETAIL_LABELS = (
    ("type", "Type"),
    ("pages", "Pages"),
    ("publisher", "Publisher"),
    ("language", "Language"),
    ("ISBN-10", "ISBN-10"),
    ("ISBN-13", "ISBN-13"),
)


def _user_bar(user: str | None) -> str:
    if user:
        return (
            f'<p class="user">Signed in as <b>{escape(user)}</b> <a href="logout">Sign out</a></p>'
        )
    return (
        '<form class="login" method="post" action="login">'
        '<label>User name <input type="text" name="username"></label> '
        '<label>Password <input type="password" name="passwd"></label> '
        '<button type="submit">Sign in</button></form>'
    )


def _details(details: dict[str, Any] | None) -> str:
    if details is None or "error" in details:
        return f"<h3>{DETAILS_ERROR_HEADING}</h3>\n<p>{DETAILS_UNAVAILABLE}</p>"
    rows = "".join(
        f"<dt>{label}</dt><dd>{escape(str(details.get(key, '')))}</dd>"
        for key, label in DETAIL_LABELS
    )
    return f"<h3>Book Details</h3>\n<dl>{rows}</dl>"


def _stars(rating: dict[str, Any]) -> str:
    if "stars" in rating:
        stars = max(0, min(5, int(rating["stars"])))
        color = escape(str(rating.get("color", "black")))
        glyphs = "★" * stars + "☆" * (5 - stars)
        return f'<p class="stars"><font color="{color}">{glyphs}</font></p>'
    error = rating.get("error", "Ratings service is currently unavailable")
    return f"<p><i>{escape(str(error))}</i></p>"


def _reviews(reviews: dict[str, Any] | None) -> str:
    if reviews is None or "error" in reviews or not isinstance(reviews.get("reviews"), list):
        return f"<h3>{REVIEWS_ERROR_HEADING}</h3>\n<p>{REVIEWS_UNAVAILABLE}</p>"
    # The pod name goes alone on its line (no markup after it), as the original template
    # leaves it; a cluster name, when reviews reports one, on a line of its own below.
    podname = escape(str(reviews.get("podname", "")))
    cluster = str(reviews.get("clustername", "null"))
    on_cluster = (
        f"  on cluster <span>{escape(cluster)}</span>\n" if cluster not in ("", "null") else ""
    )
    blocks = []
    for review in reviews["reviews"]:
        rating = review.get("rating")
        blocks.append(
            "<blockquote>\n"
            f"<p>{escape(str(review.get('text', '')))}</p>\n"
            f"<small>{escape(str(review.get('reviewer', '')))}</small>\n"
            + (_stars(rating) + "\n" if isinstance(rating, dict) else "")
            + "</blockquote>\n"
            '<div class="served-by">Reviews served by:\n'
            f"  {podname}\n"
            f"{on_cluster}</div>"
        )
    return "<h3>Book Reviews</h3>\n" + "\n".join(blocks)


def render(
    product: dict[str, Any],
    user: str | None,
    details: dict[str, Any] | None,
    reviews: dict[str, Any] | None,
) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Simple Bookstore App</title>
<link rel="stylesheet" href="static/bookinfo.css">
</head>
<body>
<header><span class="brand">BookInfo Sample</span>
{_user_bar(user)}
</header>
<main>
<h1>{escape(product["title"])}</h1>
<p class="summary">{product["descriptionHtml"]}</p>
<div class="columns">
<section class="details">
{_details(details)}
</section>
<section class="reviews">
{_reviews(reviews)}
</section>
</div>
</main>
</body>
</html>
"""


def index_page() -> str:
    return """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Simple Bookstore App</title>
<link rel="stylesheet" href="static/bookinfo.css"></head>
<body>
<main>
<h1>Hello! This is a simple bookstore application.</h1>
<p>It is made of four services, each reached through the mesh:
productpage (this page), details, reviews (three versions) and ratings.</p>
<p><a href="productpage">Open the product page</a> ·
<a href="api/v1/products">The products API</a></p>
</main>
</body>
</html>
"""
