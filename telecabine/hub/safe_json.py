"""One JSON loader for every hub route: bounded depth, typed errors, never a 500.

``json.loads`` on ``[`` × 50,000 raises ``RecursionError`` (not a ``ValueError``), which
escaped the routes' ``except ValueError`` as a 500 with a traceback. Here anything unreadable
or nested deeper than :data:`MAX_DEPTH` becomes :class:`BadJson` - a ``ValueError``, so the
routes' existing ``except ValueError`` keeps working - with a code for the typed 400.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

MAX_DEPTH = 32  # the deepest legitimate body (a billing batch) nests 5 levels


class BadJson(ValueError):
    """An unreadable JSON body: ``code`` is ``bad_json`` or ``too_deep``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a parsed value (iterative; stops counting past ``limit``)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON or raise :class:`BadJson` (invalid UTF-8, syntax, depth over ``max_depth``).

    The C parser gives up with ``RecursionError`` near depth 1000, before any harm; shallower
    but still absurd nesting is measured on the parsed value.
    """
    if isinstance(raw, bytes | bytearray | memoryview):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise BadJson("bad_json", "JSON non UTF-8 / JSON must be UTF-8") from None
    try:
        value = json.loads(raw)
    except RecursionError:
        raise BadJson("too_deep", f"JSON trop imbriqué / nested deeper than {max_depth}") from None
    except ValueError:
        raise BadJson("bad_json", "Corps JSON illisible / unreadable JSON body") from None
    if depth(value, max_depth) > max_depth:
        raise BadJson("too_deep", f"JSON trop imbriqué / nested deeper than {max_depth}")
    return value


async def read_json(request: web.Request) -> Any:
    """The request body as JSON (size already bounded by ``client_max_size``)."""
    return loads(await request.read())


def bad_json_response(exc: BadJson, status: int = 400) -> web.Response:
    """The typed error answer for an unreadable body."""
    from telecabine.hub.security import json_error

    return json_error(status, exc.code, str(exc))
