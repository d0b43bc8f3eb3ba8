"""The certification report: one result per scenario, as data, JSON and JUnit XML.

Every result says pass, fail or not run, why, and carries the exchange(s) that decided
it: the request sent (or received, for the kit's wallet) and the answer, verbatim, so
an engineer can replay the call by hand.
"""

from __future__ import annotations

import enum
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

TEXT_LIMIT = 4000
"""Bodies longer than this many characters are cut in reports (a 64 KiB probe body)."""


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    # XML 1.0 cannot carry most control characters, even escaped: show them as \xNN.
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class Status(enum.StrEnum):
    """The verdict of one scenario."""

    PASS = "pass"  # noqa: S105 (a verdict, not a password)
    FAIL = "fail"
    NOT_RUN = "not run"


def clip(data: bytes | str | None, limit: int = TEXT_LIMIT) -> str:
    """Bytes or text as printable text, cut at ``limit`` characters (marked)."""
    if data is None:
        return ""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its answer.

    Attributes:
        method: ``POST`` or ``GET``.
        url: where it went.
        request: the request body as sent (text, clipped).
        headers: the request headers that matter (``X-Sign``).
        status: the HTTP status, or None when no answer came (timeout, refused).
        response: the answer body (text, clipped), or what went wrong.
        latency_ms: milliseconds from sending to the full answer.
        note: what the kit did or saw (e.g. the fault it injected).
    """

    method: str
    url: str
    request: str
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    response: str = ""
    latency_ms: float = 0.0  # float ok: statistics
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "method": self.method,
            "url": self.url,
            "headers": self.headers,
            "request": self.request,
            "status": self.status,
            "response": self.response,
            "latency_ms": round(self.latency_ms, 2),
            "note": self.note,
        }

    def describe(self) -> str:
        """Several lines for a terminal or a JUnit message."""
        sign = "".join(f" {k}: {v}" for k, v in self.headers.items())
        answer = "no answer" if self.status is None else f"HTTP {self.status}"
        lines = [
            f"→ {self.method} {self.url}{sign}",
            f"  {self.request}",
            f"← {answer} ({self.latency_ms:.1f} ms)",
            f"  {self.response}",
        ]
        if self.note:
            lines.append(f"  ({self.note})")
        return "\n".join(lines)


@dataclass(frozen=True)
class Result:
    """The outcome of one scenario.

    Attributes:
        name: the scenario, named after the rule it proves (``B9_…``).
        summary: one sentence: what the scenario checks.
        status: pass, fail or not run.
        reason: why (for a pass, what was seen).
        exchanges: the request(s) and answer(s) that decided it.
        seconds: how long it ran.
        metrics: figures a scenario reports (the load phase's req/s and p99).
    """

    name: str
    summary: str
    status: Status
    reason: str
    exchanges: tuple[Exchange, ...] = ()
    seconds: float = 0.0  # float ok: duration
    metrics: dict[str, str] = field(default_factory=dict)

    @property
    def rule(self) -> str:
        """The rule the scenario proves: the name's first part (``B9``, ``A``, ``L``)."""
        return self.name.split("_", 1)[0]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "name": self.name,
            "rule": self.rule,
            "summary": self.summary,
            "status": str(self.status),
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
            "metrics": self.metrics,
            "exchanges": [e.to_json() for e in self.exchanges],
        }


@dataclass(frozen=True)
class Report:
    """All results of one certification run.

    Attributes:
        kind: ``wallet`` or ``provider``.
        target: what was certified (its URL).
        results: one per scenario, in the order they ran.
        started: when the run began (ISO 8601, UTC).
        seconds: how long the run took.
    """

    kind: str
    target: str
    results: tuple[Result, ...]
    started: str = ""
    seconds: float = 0.0  # float ok: duration

    def count(self, status: Status) -> int:
        """How many results have ``status``."""
        return sum(1 for r in self.results if r.status is status)

    @property
    def failed(self) -> bool:
        """True if any scenario failed (the CLI then exits non-zero)."""
        return self.count(Status.FAIL) > 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``reelbridge certify … --json FILE`` writes it)."""
        return {
            "kind": self.kind,
            "target": self.target,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "summary": {str(s): self.count(s) for s in Status},
            "results": [r.to_json() for r in self.results],
        }

    def dumps(self) -> str:
        """The JSON report as text."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    def to_junit(self) -> bytes:
        """The report as JUnit XML: one ``testcase`` per scenario; a failure is a
        ``<failure>``, not run is ``<skipped>``; the deciding exchanges go to
        ``<system-out>``."""
        suite = ET.Element(
            "testsuite",
            {
                "name": f"reelbridge certify {self.kind}",
                "tests": str(len(self.results)),
                "failures": str(self.count(Status.FAIL)),
                "errors": "0",
                "skipped": str(self.count(Status.NOT_RUN)),
                "time": f"{self.seconds:.3f}",
                "timestamp": self.started,
            },
        )
        ET.SubElement(
            ET.SubElement(suite, "properties"), "property", name="target", value=_xml(self.target)
        )
        for result in self.results:
            case = ET.SubElement(
                suite,
                "testcase",
                {
                    "classname": f"certify.{self.kind}.{result.rule}",
                    "name": result.name,
                    "time": f"{result.seconds:.3f}",
                },
            )
            evidence = "\n\n".join(e.describe() for e in result.exchanges)
            if result.status is Status.FAIL:
                failure = ET.SubElement(case, "failure", message=_xml(result.reason))
                failure.text = _xml(evidence or result.reason)
            elif result.status is Status.NOT_RUN:
                ET.SubElement(case, "skipped", message=_xml(result.reason))
            out = ET.SubElement(case, "system-out")
            out.text = _xml(
                "\n".join(
                    [
                        result.summary,
                        result.reason,
                        *(f"{k}: {v}" for k, v in result.metrics.items()),
                    ]
                    + ([evidence] if evidence else [])
                )
            )
        ET.indent(suite)
        xml: bytes = ET.tostring(suite, encoding="utf-8", xml_declaration=True)
        return xml + b"\n"
