"""Keeping Python's cyclic garbage collector out of the way of big, long-lived builds.

The world and the emulators allocate millions of objects that live as long as the sandbox and hold
no cyclic garbage: collecting during the build only burns time (it tripled large builds), and
later full collections would rescan them all (a first list request at large scale stalled 5–10 s).
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def without_gc() -> Iterator[None]:
    """No cyclic collection inside the block (for big allocations of acyclic objects)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def long_lived_allocations() -> Iterator[None]:
    """Builds without collection, then freezes what was built out of every later collection.
    Garbage from before (an earlier in-process sandbox) is collected first, so it is not frozen."""
    gc.collect()
    with without_gc():
        try:
            yield
        finally:
            gc.freeze()
