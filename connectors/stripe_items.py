"""A Stripe Checkout session's line items, read with the creator's restricted key through the
official ``stripe`` package: GET /v1/checkout/sessions/{id}/line_items, page by page.

The base URL is ``STRIPE_API_BASE`` (a test's local server answers in Stripe's documented
shape); the key needs only the Checkout Sessions read permission.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from django.conf import settings

PAGE_SIZE = 100


class StripeReadError(Exception):
    """Stripe did not give the line items; the message names why, never the key."""


@dataclass(frozen=True)
class LineItem:
    price_id: str
    name: str
    quantity: int


def _client(key: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        key,
        base_addresses={"api": settings.STRIPE_API_BASE.rstrip("/")},
        max_network_retries=settings.STRIPE_HTTP_RETRIES,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


def session_line_items(*, key: str, session_id: str) -> list[LineItem]:
    try:
        page = _client(key).v1.checkout.sessions.line_items.list(session_id, {"limit": PAGE_SIZE})
        items = list(page.auto_paging_iter())
    except stripe.AuthenticationError:
        raise StripeReadError("the restricted key was refused") from None
    except stripe.PermissionError:
        raise StripeReadError("the restricted key may not read Checkout Sessions") from None
    except stripe.InvalidRequestError as error:
        raise StripeReadError(f"Stripe answered {error.http_status}") from None
    except stripe.StripeError as error:
        raise StripeReadError(
            f"Stripe could not be reached or answered {error.http_status or 'nothing'}"
        ) from None
    found = []
    for item in (line.to_dict() for line in items):
        price = item.get("price") or {}
        price_id = price.get("id") if isinstance(price, dict) else str(price or "")
        if not price_id:
            continue
        found.append(
            LineItem(
                price_id=str(price_id),
                name=str(item.get("description") or price.get("nickname") or "")[:200],
                quantity=max(1, int(item.get("quantity") or 1)),
            )
        )
    return found
