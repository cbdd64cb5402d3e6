"""First-match-wins glob matching of topics against an ordered list of patterns."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence

_Candidate = tuple[int, Callable[[str], object]]


def _wildcard_bounds(pattern: str) -> tuple[int, int] | None:
    """Start of the first and end of the last wildcard (``*``, ``?``, ``[set]``), or ``None``.

    Scans exactly as :func:`fnmatch.translate` does: ``[`` opens a set only when a closing
    ``]`` follows (a ``]`` right after ``[`` or ``[!`` belongs to the set); otherwise it is
    a literal character.
    """
    first = last = -1
    index, size = 0, len(pattern)
    while index < size:
        char = pattern[index]
        end = index + 1
        if char == "[":
            scan = end
            if scan < size and pattern[scan] == "!":
                scan += 1
            if scan < size and pattern[scan] == "]":
                scan += 1
            while scan < size and pattern[scan] != "]":
                scan += 1
            if scan >= size:
                index = end
                continue
            end = scan + 1
        elif char not in "*?":
            index = end
            continue
        if first < 0:
            first = index
        last = end
        index = end
    return None if first < 0 else (first, last)


def _literal_prefix_key(pattern: str, first_wildcard: int) -> str:
    """The literal text before the first wildcard, cut back to just after its last dot."""
    prefix = pattern[:first_wildcard]
    return prefix[: prefix.rfind(".") + 1]


def _literal_suffix_key(pattern: str, after_last_wildcard: int) -> str:
    """The literal text after the last wildcard, cut forward to its first dot."""
    suffix = pattern[after_last_wildcard:]
    dot = suffix.find(".")
    return "" if dot < 0 else suffix[dot:]


class ModelCompiledTopicMatcher:
    """Finds the first pattern, in declaration order, that a topic matches.

    Matching is exactly :func:`fnmatch.fnmatchcase` on the whole topic (case-sensitive, ``*``
    crosses dots, ``?`` is one character, ``[...]`` a set), but a lookup does not test every
    pattern. Patterns without wildcards sit in a dict. Every other pattern is indexed under a
    literal anchor every matching topic must carry: its literal prefix cut back to a dot
    boundary (the topic must start with it) or its literal suffix cut forward to a dot
    boundary (the topic must end with it), whichever is shared by fewer patterns; patterns
    with neither are always candidates. A lookup probes one dict entry per distinct anchor
    length, tests the candidates with regexes compiled once, and keeps the lowest index, so
    the cost depends on how many patterns share the topic's anchors, not on how many exist.

    Immutable after construction and safe to use from any number of threads.
    """

    __slots__ = (
        "_always",
        "_literals",
        "_no_match",
        "_patterns",
        "_prefix_buckets",
        "_prefix_lengths",
        "_suffix_buckets",
        "_suffix_lengths",
    )

    def __init__(self, patterns: Sequence[str]) -> None:
        self._patterns: tuple[str, ...] = tuple(patterns)
        self._no_match = len(self._patterns)
        literals: dict[str, int] = {}
        globs: list[tuple[int, str, str, Callable[[str], object]]] = []
        for index, pattern in enumerate(self._patterns):
            bounds = _wildcard_bounds(pattern)
            if bounds is None:
                literals.setdefault(pattern, index)
                continue
            globs.append(
                (
                    index,
                    _literal_prefix_key(pattern, bounds[0]),
                    _literal_suffix_key(pattern, bounds[1]),
                    re.compile(fnmatch.translate(pattern)).match,
                )
            )
        prefix_count: dict[str, int] = {}
        suffix_count: dict[str, int] = {}
        for _, prefix, suffix, _ in globs:
            prefix_count[prefix] = prefix_count.get(prefix, 0) + 1
            suffix_count[suffix] = suffix_count.get(suffix, 0) + 1
        prefix_buckets: dict[str, list[_Candidate]] = {}
        suffix_buckets: dict[str, list[_Candidate]] = {}
        always: list[_Candidate] = []
        for index, prefix, suffix, match in globs:
            use_prefix = bool(prefix) and (
                not suffix or prefix_count[prefix] <= suffix_count[suffix]
            )
            if use_prefix:
                prefix_buckets.setdefault(prefix, []).append((index, match))
            elif suffix:
                suffix_buckets.setdefault(suffix, []).append((index, match))
            else:
                always.append((index, match))
        self._literals = literals
        self._prefix_buckets = {key: tuple(value) for key, value in prefix_buckets.items()}
        self._suffix_buckets = {key: tuple(value) for key, value in suffix_buckets.items()}
        self._prefix_lengths = tuple(sorted({len(key) for key in prefix_buckets}))
        self._suffix_lengths = tuple(sorted({len(key) for key in suffix_buckets}))
        self._always: tuple[_Candidate, ...] = tuple(always)

    @property
    def patterns(self) -> tuple[str, ...]:
        """The patterns in match order."""
        return self._patterns

    def first_match(self, topic: str) -> int | None:
        """Index of the first pattern that matches the whole ``topic``, or ``None``."""
        best = self._literals.get(topic, self._no_match)
        size = len(topic)
        for length in self._prefix_lengths:
            if length > size:
                break
            bucket = self._prefix_buckets.get(topic[:length])
            if bucket is not None:
                best = _scan(bucket, topic, best)
        for length in self._suffix_lengths:
            if length > size:
                break
            bucket = self._suffix_buckets.get(topic[-length:])
            if bucket is not None:
                best = _scan(bucket, topic, best)
        if self._always:
            best = _scan(self._always, topic, best)
        return None if best == self._no_match else best


def _scan(bucket: tuple[_Candidate, ...], topic: str, best: int) -> int:
    """Lowest index in ``bucket`` (sorted by index) below ``best`` that matches ``topic``."""
    for index, match in bucket:
        if index >= best:
            return best
        if match(topic) is not None:
            return index
    return best
