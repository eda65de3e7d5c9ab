"""End open notification streams when the server is asked to stop (SIGINT, SIGTERM).

Uvicorn, on a stop signal, stops accepting and then waits for every open response to finish
before it runs the application's shutdown; a notification stream never finishes by itself, so one
open scanner would hold a stopping server forever. The lifespan of a served app therefore chains
a handler in front of uvicorn's: it closes the hub (every stream ends; clients reconnect, with
Last-Event-ID, to whichever process serves next) and then calls uvicorn's own handler.

Signal handlers can only be set from the main thread; elsewhere (a server run in a test thread)
this does nothing, and such a server's streams end when their clients close them.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

from services.notifications.hub import NotificationHub

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def close_streams_on_stop_signal(hub: NotificationHub) -> Callable[[], None]:
    """Chain the handlers; returns a function that puts the previous ones back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    installed: dict[int, tuple[object, Callable[[int, FrameType | None], None]]] = {}
    for signum in SIGNALS:
        previous = signal.getsignal(signum)
        if not callable(previous):
            continue  # default or ignored: nobody is shutting gracefully on it; leave it be

        def handler(
            number: int,
            frame: FrameType | None,
            previous: Callable[[int, FrameType | None], object] = previous,
        ) -> None:
            hub.close()
            previous(number, frame)

        signal.signal(signum, handler)
        installed[signum] = (previous, handler)

    def restore() -> None:
        for signum, (previous, handler) in installed.items():
            if signal.getsignal(signum) is handler:  # uvicorn may have restored its own already
                signal.signal(signum, previous)  # type: ignore[arg-type]  # a handler it returned

    return restore
