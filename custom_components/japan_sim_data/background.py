"""Work the integration starts in the background: its failures are logged, never lost.

A task whose exception nobody retrieves is reported by asyncio only when it is collected, if
at all, without saying which account it was for.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from .const import LOGGER


async def logged[T](job: Coroutine[Any, Any, T], what: str) -> T | None:
    """Await ``job``; a failure is logged with its traceback under ``what``, and ends there.

    Cancellation (an unload, a stop) is not a failure and goes on as it came.
    """
    try:
        return await job
    except Exception:  # noqa: BLE001 - any failure of the job is logged, whatever it is
        LOGGER.exception("%s failed", what)
        return None
