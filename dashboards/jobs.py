"""A tiny in-process job registry: long registrations and imports run in a thread of their own.

The page starts a job and polls its state (`GET /manufacturer/jobs/{id}`, every 500 ms) to draw a
progress bar. Jobs live in memory only: a restart forgets them, which is fine because the work
they do (ledger writes) is either committed or not, and the batch list shows what is. A job is
visible only to the organization and user that started it.

    registry = JobRegistry()
    job = registry.start(owner, kind="registration", title="…", work=lambda report: …)
    registry.get(job.id, owner)      → a `JobSnapshot`, or None (unknown or someone else's)
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from services.errors import PharmaTraceError

log = logging.getLogger("pharmatrace.dashboards.jobs")

JobState = Literal["running", "done", "failed"]
MAX_RUNNING_PER_ORGANIZATION = 2
MAX_KEPT_JOBS = 200


@dataclass(frozen=True)
class Owner:
    """Who started a job: only they see it."""

    msp_id: str
    user: str


class ProgressReport(Protocol):
    """What a job's work calls to tell how far it is."""

    def __call__(self, done: int, total: int | None = None, note: str = "") -> None: ...


Work = Callable[[ProgressReport], object]


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of a job's state, for rendering."""

    id: str
    kind: str
    title: str
    state: JobState
    done: int
    total: int | None
    note: str
    elapsed: float
    result: object | None
    error: PharmaTraceError | None

    @property
    def percent(self) -> int | None:
        """0–100, or None while the total is unknown (an indeterminate bar)."""
        if self.state == "done":
            return 100
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))

    @property
    def finished(self) -> bool:
        return self.state != "running"


@dataclass
class _Job:
    id: str
    kind: str
    title: str
    owner: Owner
    started: float = field(default_factory=time.monotonic)
    state: JobState = "running"
    done: int = 0
    total: int | None = None
    note: str = ""
    finished_at: float | None = None
    result: object | None = None
    error: PharmaTraceError | None = None


class TooManyJobsError(PharmaTraceError):
    def __init__(self) -> None:
        super().__init__(
            "TOO_MANY_JOBS",
            f"Your organization already has {MAX_RUNNING_PER_ORGANIZATION} registrations or "
            "imports running; start this one when one of them has finished.",
            status=429,
            retryable=True,
        )


class JobRegistry:
    """Jobs by id, each running `work` in a daemon thread; thread-safe."""

    def __init__(self) -> None:
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def start(
        self, owner: Owner, *, kind: str, title: str, work: Work, note: str = ""
    ) -> JobSnapshot:
        """Run `work(report)` in the background; its return value becomes the job's result.

        `note` says what happens first, until the work reports its own progress."""
        with self._lock:
            running = sum(
                1
                for job in self._jobs.values()
                if job.owner.msp_id == owner.msp_id and job.state == "running"
            )
            if running >= MAX_RUNNING_PER_ORGANIZATION:
                raise TooManyJobsError()
            self._forget_old()
            job = _Job(id=secrets.token_urlsafe(12), kind=kind, title=title, owner=owner, note=note)
            self._jobs[job.id] = job
            snapshot = self._snapshot(job)
        thread = threading.Thread(
            target=self._run, args=(job, work), name=f"job-{kind}-{job.id}", daemon=True
        )
        thread.start()
        return snapshot

    def get(self, job_id: str, owner: Owner) -> JobSnapshot | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.owner != owner:
                return None
            return self._snapshot(job)

    def wait(self, job_id: str, owner: Owner, timeout: float = 30.0) -> JobSnapshot | None:
        """Poll until the job finishes (tests and scripts; the page polls over HTTP)."""
        deadline = time.monotonic() + timeout
        while True:
            snapshot = self.get(job_id, owner)
            if snapshot is None or snapshot.finished or time.monotonic() > deadline:
                return snapshot
            time.sleep(0.02)

    def _run(self, job: _Job, work: Work) -> None:
        def report(done: int, total: int | None = None, note: str = "") -> None:
            with self._lock:
                job.done = done
                if total is not None:
                    job.total = total
                if note:
                    job.note = note

        try:
            result = work(report)
        except PharmaTraceError as error:
            self._finish(job, "failed", error=error)
        except Exception:  # a bug: logged with its traceback, shown to the user as INTERNAL
            log.exception("job %s (%s) failed", job.id, job.kind)
            self._finish(
                job,
                "failed",
                error=PharmaTraceError(
                    "INTERNAL",
                    "Something went wrong on our side; the error has been logged.",
                    status=500,
                ),
            )
        else:
            self._finish(job, "done", result=result)

    def _finish(
        self,
        job: _Job,
        state: JobState,
        *,
        result: object | None = None,
        error: PharmaTraceError | None = None,
    ) -> None:
        with self._lock:
            job.state = state
            job.result = result
            job.error = error
            job.finished_at = time.monotonic()

    def _forget_old(self) -> None:
        """Keep the registry bounded: drop the oldest finished jobs (lock held)."""
        finished = sorted(
            (job for job in self._jobs.values() if job.finished_at is not None),
            key=lambda job: job.finished_at or 0.0,
        )
        excess = len(self._jobs) - MAX_KEPT_JOBS + 1
        for job in finished[: max(0, excess)]:
            del self._jobs[job.id]

    @staticmethod
    def _snapshot(job: _Job) -> JobSnapshot:
        end = job.finished_at if job.finished_at is not None else time.monotonic()
        return JobSnapshot(
            id=job.id,
            kind=job.kind,
            title=job.title,
            state=job.state,
            done=job.done,
            total=job.total,
            note=job.note,
            elapsed=end - job.started,
            result=job.result,
            error=job.error,
        )
