"""A guard against a hostile input making a parser quadratic: the test fails instead of hanging.

Not a timing test: the limit is generous (seconds for work that takes milliseconds when linear),
so only a blow-up of ~100x trips it. The tests themselves assert a refusal or a result.
"""

import contextlib
import signal
import threading


class TookTooLong(AssertionError):
    pass


@contextlib.contextmanager
def within(seconds: float):
    """Raise TookTooLong in the block if it runs longer than `seconds` (main thread, POSIX)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach only the main thread: no guard, the test still asserts
        return

    def expired(signum, frame):
        raise TookTooLong(f"over {seconds} s: quadratic on a hostile input?")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
