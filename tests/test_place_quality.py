"""The graded place queries of tests/data/place_queries.yaml, scored per kind (issue 21).

Each query goes through the real parser; what it would search (region, prefixes) is compared
with the truth written beside it. The report lists every failure, so a change that costs a
query says which one.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from bot.commands.parser import parse_command
from bot.core.domain import SearchPattern, SearchQuery
from bot.core.errors import CommandError

QUERIES = Path(__file__).parent / "data" / "place_queries.yaml"
OVERALL = 0.95  # share of all queries that must be right
PER_KIND = 0.85  # share of each kind's queries that must be right


def load() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))
    return cases


def searched(query: SearchQuery) -> tuple[str, ...]:
    """The national prefixes the query would search."""
    if query.place is not None:
        return query.place.areas
    if query.pattern is not None and query.pattern.kind is SearchPattern.START:
        return (query.pattern.digits,)
    return ()


def grade(case: dict[str, Any]) -> str | None:
    """None when the query is right; else what went wrong."""
    try:
        query = parse_command(case["q"])
    except CommandError as error:
        said = f"{error.hint} {error.usage or ''}".lower()
        wanted = [s.lower() for s in case.get("suggest", ())]
        if wanted and all(w in said for w in wanted):
            return None
        return f"error: {error.hint}"
    if not isinstance(query, SearchQuery):
        return f"not a search: {query!r}"
    where = f"{query.region} {searched(query)}"
    if query.place is not None:
        where += f" ({query.place.label})"
    if "region" in case and query.region != case["region"]:
        return f"region {where}, want {case['region']}"
    areas = searched(query)
    if "pattern" in case and areas != (case["pattern"],):
        return f"pattern {where}, want {case['pattern']}"
    missing = [c for c in case.get("include", ()) if not any(c.startswith(a) for a in areas)]
    if missing:
        return f"misses {missing}: {where}"
    wrong = [
        c for c in case.get("exclude", ()) if any(a.startswith(c) or c.startswith(a) for a in areas)
    ]
    if wrong:
        return f"searches {wrong}: {where}"
    label = case.get("label")
    if label and (query.place is None or label.lower() not in query.place.label.lower()):
        return f"label {where}, want {label}"
    return None


def score() -> tuple[dict[str, list[bool]], list[str]]:
    by_kind: dict[str, list[bool]] = defaultdict(list)
    failures = []
    for case in load():
        problem = grade(case)
        by_kind[case["kind"]].append(problem is None)
        if problem is not None:
            failures.append(f"[{case['kind']}] {case['q']!r}: {problem}")
    return by_kind, failures


def report(by_kind: dict[str, list[bool]], failures: list[str]) -> str:
    total = [ok for oks in by_kind.values() for ok in oks]
    lines = [f"overall {sum(total)}/{len(total)} = {sum(total) / len(total):.0%}"]
    for kind, oks in sorted(by_kind.items()):
        lines.append(f"  {kind:<11} {sum(oks):>3}/{len(oks):<3} = {sum(oks) / len(oks):.0%}")
    lines += ["failures:", *(f"  {f}" for f in failures)]
    return "\n".join(lines)


def test_the_set_is_big_and_covers_every_kind() -> None:
    cases = load()
    assert len(cases) >= 150
    kinds = {c["kind"] for c in cases}
    assert len(kinds) >= 11
    assert all(
        ("region" in c) or ("suggest" in c) or ("exclude" in c) or c["kind"] == "ambiguous"
        for c in cases
    )


def test_graded_place_queries_meet_the_bar() -> None:
    by_kind, failures = score()
    text = report(by_kind, failures)
    sys.stdout.write(text + "\n")  # the score per kind, shown with -s or on failure
    total = [ok for oks in by_kind.values() for ok in oks]
    weak = [k for k, oks in by_kind.items() if sum(oks) / len(oks) < PER_KIND]
    assert sum(total) / len(total) >= OVERALL, text
    assert not weak, text
