"""A deterministic randomness adapter for tests, demos and reproducible simulations.

Random bytes are SHA-256 in counter mode over the seed (``sha256(seed || counter)``),
turned into indices by :func:`index_from_bytes`; the sequence depends only on the seed,
never on the Python version or platform. Not for real-money play: anyone who knows the
seed knows every outcome.
"""

from __future__ import annotations

import hashlib

from reelbridge.games._rng import index_from_bytes


class SeededRng:
    """Reproducible, unbiased indices from a seed (the in-memory fake of ``Rng``)."""

    __slots__ = ("_buffer", "_counter", "_seed")

    def __init__(self, seed: int | bytes | str) -> None:
        """Start the stream for ``seed``.

        Args:
            seed: any int (non-negative), bytes or text; equal seeds give equal streams.
        """
        if isinstance(seed, int):
            if seed < 0:
                raise ValueError("an integer seed must not be negative")
            seed = seed.to_bytes((seed.bit_length() + 8) // 8, "big")
        elif isinstance(seed, str):
            seed = seed.encode()
        self._seed = hashlib.sha256(b"reelbridge.games.SeededRng\x00" + seed).digest()
        self._counter = 0
        self._buffer = b""

    def _read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            block = hashlib.sha256(self._seed + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
            self._buffer += block
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def randbelow(self, n: int, /) -> int:
        """Return an integer drawn uniformly from ``range(n)``.

        Raises:
            ValueError: if ``n`` is not positive.
        """
        return index_from_bytes(self._read, n)
