"""tools/refresh_nanp_overlays.py reads NANPA's NPA report (a fixture here: no network)."""

from __future__ import annotations

import datetime
import json

from tools.refresh_nanp_overlays import overlays_from_csv, render

# The report's columns (trimmed to those read, plus one other) and a few real rows.
CSV = """NPA_ID,TYPE_OF_CODE,COUNTRY,IN_SERVICE,OVERLAY,OVERLAY_COMPLEX,PARENT_NPA_ID
212,G,US,Y,Y,212/332/646/917,
646,G,US,Y,Y,212/332/646/917,212
917,G,US,Y,Y,212/332/347/646/718/917/929,212
718,G,US,Y,Y,347/718/917/929,
347,G,US,Y,Y,347/718/917/929,718
403,G,CANADA,Y,Y,368/403/587/780/825,
780,G,CANADA,Y,Y,368/403/587/780/825,
587,G,CANADA,Y,Y,368/403/587/780/825,403
825,G,CANADA,Y,Y,368/403/587/780/825,403
368,G,CANADA,N,Y,368/403/587/780/825,403
206,G,US,Y,N,,
876,G,JAMAICA,Y,Y,658/876,
658,G,JAMAICA,Y,Y,658/876,876
"""


def test_overlays_go_with_every_geographic_code_of_their_complex() -> None:
    assert overlays_from_csv(CSV) == {
        "212": ["646", "917"],
        "718": ["347", "917"],
        "403": ["587", "825"],  # 368 is not in service yet
        "780": ["587", "825"],
    }


def test_the_file_names_its_source_and_date_and_reads_back() -> None:
    text = render({"212": ["646"]}, datetime.date(2026, 12, 6))
    data = json.loads(text)
    assert data["overlays"] == {"212": ["646"]}
    assert data["date"] == "2026-12-06"
    assert "nationalnanpa.com" in data["source"]
