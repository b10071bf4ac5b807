"""How signed messages reach a partner node. One contract, several ways of keeping it.

``Transport.push`` is all the sender worker knows about the network, so a test
or a benchmark can swap HTTPS for a direct call without touching the delivery
logic, as httpx swaps its transports.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from riskhub.exchange.models import PartnerNode

MESSAGES_PATH = "/api/v1/exchange/messages"
MAX_PUSH_BYTES = 32 * 1024 * 1024  # what a hub reads of one push
PUSH_BUDGET_BYTES = 30 * 1024 * 1024  # what a sender puts in one: the tokens, and room to spare


class TransportError(Exception):
    """The partner could not be reached, or did not answer with receipts: try again later."""


class Transport:
    """Carries signed messages to one partner node and brings back its signed receipts.

    ``push`` sends the tokens exactly as given (it never re-signs or alters
    one) and returns the receipt tokens the partner answered with, in any
    order and possibly fewer than sent; the sender matches each receipt to its
    message by the hash inside, so a receipt that is missing just means "try
    that one again". It raises ``TransportError`` when nothing usable came
    back. It must be safe to call again with the same tokens at any time: the
    receiver applies each message once whatever happens on the way.
    """

    def push(self, node: PartnerNode, tokens: Sequence[str]) -> list[str]:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections; the default holds none."""


class HttpTransport(Transport):
    """POST to the partner's ``/api/v1/exchange/messages`` over HTTPS, connections kept alive."""

    def __init__(
        self, *, ca_file: Path | None = None, timeout_s: float = 30.0, keep_alive: bool = True
    ) -> None:
        verify = ssl.create_default_context(cafile=str(ca_file)) if ca_file else True
        limits = httpx.Limits(max_keepalive_connections=None if keep_alive else 0)
        self._client = httpx.Client(verify=verify, timeout=timeout_s, limits=limits)

    def push(self, node: PartnerNode, tokens: Sequence[str]) -> list[str]:
        if not node.url:
            raise TransportError(f"{node.node} has no URL: it pulls its messages")
        url = node.url.rstrip("/") + MESSAGES_PATH
        try:
            answer = self._client.post(url, json={"messages": list(tokens)})
        except httpx.HTTPError as error:
            raise TransportError(f"{node.node} unreachable: {type(error).__name__}") from error
        if answer.status_code != 200:
            raise TransportError(f"{node.node} answered {answer.status_code}: {answer.text[:200]}")
        try:
            receipts = answer.json()["receipts"]
        except (ValueError, KeyError, TypeError) as error:
            raise TransportError(f"{node.node} answered without receipts") from error
        if not isinstance(receipts, list) or not all(isinstance(r, str) for r in receipts):
            raise TransportError(f"{node.node} answered with malformed receipts")
        return receipts

    def close(self) -> None:
        self._client.close()


class DirectTransport(Transport):
    """Hands the tokens to a receiving function in this process (tests, benchmarks)."""

    def __init__(self, receivers: dict[str, Callable[[Sequence[str]], list[str]]]) -> None:
        self._receivers = receivers

    def push(self, node: PartnerNode, tokens: Sequence[str]) -> list[str]:
        receive = self._receivers.get(node.node)
        if receive is None:
            raise TransportError(f"no route to {node.node}")
        return receive(tokens)
