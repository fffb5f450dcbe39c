"""Running work in forked processes.

Rendering jobs go to workers when there are enough to pay for them; slow listings of folders go to
a child that works while the build goes on (`Later`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

from digest.problems import Problems

MIN_JOBS = 300  # below this, starting workers costs more than it saves
CHUNK = 64  # jobs per task sent to a worker (at least: a task ends where a group of jobs does)

_jobs: Sequence[Callable[[], bytes]] = ()  # set before forking, so workers inherit the jobs instead of receiving them
_taker: Callable[[int, bytes], bool] | None = None  # likewise, run's take
Failure = tuple[str, str, int | None]  # (template file or "", message, line)
T = TypeVar("T")


def workers() -> int:
    """The processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run(jobs: Sequence[Callable[[], bytes]], processes: int, problems: Problems, templates: Path,
        take: Callable[[int, bytes], bool] | None = None, groups: Sequence[Hashable] = ()) -> list[bytes | None]:
    """Every job's bytes, in the order of jobs, or None where take took them; template errors are recorded as problems (their bytes are empty).

    take, if given, is called with each job's index and bytes as soon as the job is rendered, in the process that
    rendered it (a worker, when forked), until the first error; where it returns True it has used the bytes (say,
    written them to a file), and they are not sent back. groups, if given, names each job's group: neighbouring
    jobs of one group go to the same worker (they share work done on first use).
    """
    global _jobs, _taker
    results: list[bytes | Failure | None] = []
    if not forks(len(jobs), processes):
        results = _run(range(len(jobs)), jobs, take)
    else:
        _jobs, _taker = jobs, take
        try:
            chunks = tasks(len(jobs), groups)
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                for part in pool.imap(_run, chunks, chunksize=1):
                    results += part
        finally:
            _jobs, _taker = (), None
    output: list[bytes | None] = []
    for result in results:
        if isinstance(result, tuple):  # only the first error is reported, as a build that stops at it would
            filename, message, line = result
            problems.add(Path(filename) if filename else templates, f"template error: {message}", line)
            break
        output.append(result)
    return output + [b""] * (len(jobs) - len(output))


def forks(count: int, processes: int) -> bool:
    """Whether run renders count jobs in forked workers (else in this process)."""
    return processes > 1 and count >= MIN_JOBS and "fork" in multiprocessing.get_all_start_methods()


def tasks(count: int, groups: Sequence[Hashable] = ()) -> list[range]:
    """The jobs numbered 0 to count, cut into tasks of at least CHUNK jobs that never part two neighbours of one group."""
    found = []
    start = 0
    while start < count:
        end = min(start + CHUNK, count)
        while groups and end < count and groups[end] == groups[end - 1]:
            end += 1
        found.append(range(start, end))
        start = end
    return found


def _run(indices: range, jobs: Sequence[Callable[[], bytes]] | None = None,
         take: Callable[[int, bytes], bool] | None = None) -> list[bytes | Failure | None]:
    """Run some jobs, offering each one's bytes to take; a template error becomes a Failure, which (unlike jinja's exceptions) crosses processes."""
    import jinja2

    take = take or _taker
    results: list[bytes | Failure | None] = []
    for index in indices:
        try:
            data = (jobs or _jobs)[index]()
        except jinja2.TemplateSyntaxError as error:
            results.append((error.filename or "", error.message or str(error), error.lineno))
            break
        except jinja2.TemplateError as error:
            results.append(("", error.message or str(error), None))
            break
        results.append(None if take is not None and take(index, data) else data)
    return results


def can_fork() -> bool:
    """Whether a forked child can work beside this process: fork, a second processor, and no other thread (a fork copies only this one)."""
    return hasattr(os, "fork") and workers() > 1 and threading.active_count() == 1


class Later(Generic[T]):
    """A function's result, computed by a forked child while this process goes on with other work.

    Computed here instead, when asked for, where there is one processor, no fork, or the child failed.
    """

    def __init__(self, function: Callable[[], T]) -> None:
        """Start computing function() in a child."""
        self.function = function
        self.child: tuple[int, int] | None = None
        if can_fork():
            reader, writer = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: compute, send the result, and end without the parent's cleanup
                code = 1
                try:
                    os.close(reader)
                    with open(writer, "wb") as pipe:
                        pipe.write(pickle.dumps(function(), protocol=pickle.HIGHEST_PROTOCOL))
                    code = 0
                finally:
                    os._exit(code)
            os.close(writer)
            self.child = (pid, reader)

    def result(self) -> T:
        """The result: the child's, or computed now if it failed."""
        if self.child is not None:
            pid, reader = self.child
            self.child = None
            with open(reader, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) == 0:
                value: T = pickle.loads(data)
                return value
        return self.function()

    def cancel(self) -> None:
        """Stop waiting for the child, whose result is not needed."""
        if self.child is not None:
            pid, reader = self.child
            self.child = None
            os.close(reader)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # it only reads and sends: nothing is left half done
            os.waitpid(pid, 0)
