"""Charts kept per process by their arguments: a chart is a pure function of them."""

from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, is_dataclass

MEMO_SIZE = 128  # charts kept per process (an SVG is some tens of kB)


def memoized(draw: Callable[..., str]) -> Callable[..., str]:
    """Keep the last ``MEMO_SIZE`` charts by their arguments (the SVG is the same bytes for the same data), so a
    page viewed again does not lay its charts out again."""
    cache: OrderedDict[str, str] = OrderedDict()
    lock = threading.Lock()

    def plain(value):
        return asdict(value) if is_dataclass(value) else repr(value)

    @functools.wraps(draw)
    def wrapper(*args, **kwargs) -> str:
        key = json.dumps([args, kwargs], default=plain, sort_keys=True, ensure_ascii=False)
        with lock:
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        svg = draw(*args, **kwargs)
        with lock:
            cache[key] = svg
            while len(cache) > MEMO_SIZE:
                cache.popitem(last=False)
        return svg

    wrapper.cache_clear = cache.clear
    return wrapper
