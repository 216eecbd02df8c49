"""The app as gunicorn serves it, plus a ``Server-Timing`` header: what the benchmarks run.

``app`` is the wall time from the request reaching the app to its response being ready (routing,
auth, the service call, the database, JSON); ``cpu`` is the worker's CPU time for the same span,
which other processes on the machine do not inflate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any


class ServerTiming:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        wall, cpu = time.perf_counter(), time.thread_time()

        def timed_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append(
                (
                    "Server-Timing",
                    f"app;dur={(time.perf_counter() - wall) * 1000:.3f}, "
                    f"cpu;dur={(time.thread_time() - cpu) * 1000:.3f}",
                )
            )
            return start_response(status, headers, exc_info)

        return self.app(environ, timed_start_response)


def timed_app() -> Any:
    from webapp import create_app

    app = create_app()
    app.wsgi_app = ServerTiming(app.wsgi_app)  # type: ignore[method-assign]
    return app
