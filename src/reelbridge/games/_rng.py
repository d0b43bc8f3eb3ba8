"""The randomness port: one method that picks an index, and an unbiased helper.

Reel stops must be uniform over a strip whose length is rarely a power of two.
Reducing random bits modulo ``n`` would favour the low indices (bias), so indices come
either from ``secrets.randbelow`` (which already rejects) or from
:func:`index_from_bytes`, which uses rejection sampling on raw random bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable


@runtime_checkable
class Rng(Protocol):
    """Source of uniformly distributed indices (the port; adapters implement it)."""

    def randbelow(self, n: int, /) -> int:
        """Return an integer drawn uniformly from ``range(n)``; ``n`` must be positive."""
        ...


def index_from_bytes(read: Callable[[int], bytes], n: int) -> int:
    """Turn uniformly random bytes into a uniform index in ``range(n)`` without bias.

    Takes ``k = (n - 1).bit_length()`` random bits and accepts them only when their
    value is below ``n``; otherwise draws again. Each accepted value comes from exactly
    one ``k``-bit pattern, so every index has probability ``1/n`` exactly — there is no
    modulo bias. Since ``2**k < 2*n`` a draw is accepted with probability above 1/2,
    so fewer than two draws are needed on average.

    Args:
        read: returns the requested number of uniformly random bytes.
        n: the number of possible indices, at least 1.

    Returns:
        An integer ``i`` with ``0 <= i < n``.

    Raises:
        ValueError: if ``n`` is not positive.
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    bits = (n - 1).bit_length()
    if bits == 0:
        return 0
    size = (bits + 7) // 8
    mask = (1 << bits) - 1
    while True:
        value = int.from_bytes(read(size), "big") & mask
        if value < n:
            return value
