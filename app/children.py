"""Child processes of `qizhen ui` and `qizhen demo` that stop with their parent.

Without this, SIGTERM to `qizhen ui` ended the parent (`subprocess.call`) and left Streamlit
listening: the next start failed with "Port … is not available" and the orphan kept serving with
the old environment. Here SIGINT and SIGTERM to the parent are forwarded to every child as SIGTERM
(after a terminal's Ctrl-C, which reached the children too, a second SIGINT would make uvicorn
exit without its graceful shutdown), and the parent waits for them — at most `grace_s`, then SIGKILL
— before it returns, so when the parent has exited no child is left listening.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from types import FrameType, TracebackType
from typing import Any

#: seconds children get to stop after SIGTERM before they are killed
STOP_GRACE_S = 15.0
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ChildProcesses:
    """Use as a context manager in the main thread: children started through `start` are stopped
    (SIGTERM, bounded wait, SIGKILL) when the block ends, whatever ends it, and on SIGINT/SIGTERM."""

    def __init__(self, grace_s: float = STOP_GRACE_S) -> None:
        self.grace_s = grace_s
        self.procs: list[subprocess.Popen[bytes]] = []
        self.stopping = threading.Event()
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> ChildProcesses:
        if threading.current_thread() is threading.main_thread():  # only there can Python take signals
            self._previous = {sig: signal.signal(sig, self._on_signal) for sig in SIGNALS}
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.stop()
        finally:
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()
        self._terminate()

    def _terminate(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()

    def start(self, args: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        proc: subprocess.Popen[bytes] = subprocess.Popen(list(args), **kwargs)
        self.procs.append(proc)
        if self.stopping.is_set():  # the signal came while it was starting
            proc.terminate()
        return proc

    def wait_any(self, poll_s: float = 0.5) -> int:
        """Until a child exits (its code) or a signal asks us to stop (0)."""
        while not self.stopping.is_set():
            for proc in self.procs:
                code = proc.poll()
                if code is not None:
                    return code
            self.stopping.wait(poll_s)
        return 0

    def stop(self) -> None:
        """SIGTERM to the children still running, wait for them (bounded), SIGKILL what is left."""
        self._terminate()
        deadline = time.monotonic() + self.grace_s
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
