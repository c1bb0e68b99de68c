"""`numbers-bot history` and the ledger's line in `numbers-bot show`, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest

from bot.changes.service import NumberChanges
from bot.cli.app import main
from bot.core.money import Money
from bot.store.engine import Database
from bot.store.ledger import ChangeLedger, NewRequest
from bot.store.migrate import Schema
from tests.store.test_ledger import PRICE, WallClock
from tests.test_cli_numbers import FOR_RENT, RENTED

OTHER = "+12065550177"


@pytest.fixture
async def recorded(
    database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> ChangeLedger:
    """Alice's approved rent of RENTED (2026-12-06), then a denied and a pending request."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    wall = WallClock()
    ledger = ChangeLedger(database, Schema(database), approval_ttl=3600, now=wall)

    def request(rid: str, number: str, price: Money | None = PRICE) -> NewRequest:
        return NewRequest(id=rid, action="rent", number=number, requester="U0ALICE1", price=price)

    await ledger.claim(request("r1", RENTED.phone_number), pending=True)
    await ledger.decide(request("r1", RENTED.phone_number), "U0BOB22", approve=True)
    assert await ledger.start("r1")
    await ledger.settle("r1", "rented", price=PRICE)
    wall.advance(3600)
    await ledger.claim(request("r2", OTHER, price=None), pending=True)
    await ledger.decide(request("r2", OTHER), "U0BOB22", approve=False)
    wall.advance(60)
    await ledger.claim(request("=r3", OTHER), pending=True)
    return ledger


@pytest.mark.usefixtures("recorded")
def test_show_adds_who_rented_and_approved(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", RENTED.phone_number, "--sandbox"]) == 0
    out = capsys.readouterr().out
    assert "Monthly: USD" in out  # Sinch's part
    assert "Rented by @U0ALICE1 on 2026-12-06, approved by @U0BOB22 (USD 0.80/month)" in out


@pytest.mark.usefixtures("recorded")
def test_history_lists_newest_first_and_filters_by_number(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert "pending" in lines[0]
    assert "denied by @U0BOB22" in lines[1]
    assert "rented" in lines[2]
    assert "by @U0ALICE1, approved by @U0BOB22" in lines[2]
    assert lines[2].startswith("2026-12-06 09:00Z")
    assert main(["history", "+1 206-555-0177"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


@pytest.mark.usefixtures("recorded")
def test_history_csv_has_every_field_and_no_formulas(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:5] == ["created_at", "action", "number", "state", "outcome"]
    assert [r[3] for r in rows[1:]] == ["pending", "denied", "done"]
    assert rows[3][:9] == [
        "2026-12-06T09:00:00Z",
        "rent",
        RENTED.phone_number,
        "done",
        "rented",
        "U0ALICE1",
        "U0BOB22",
        "2026-12-06T09:00:00Z",
        "2026-12-06T09:00:00Z",
    ]
    assert rows[1][-1] == "'=r3"  # a request id a spreadsheet would run is neutralised


def test_history_with_the_database_down_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://bot:pw-do-not-leak@/db?host={tmp_path}")
    assert main(["history"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "numbers-bot: the bot's database is unavailable (DATABASE_URL); try again shortly."
    )


def test_a_cli_rent_is_recorded_with_who_ran_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RENT_ENABLED", "true")
    monkeypatch.setenv("USER", "opal")
    assert main(["rent", FOR_RENT.phone_number, "--sandbox", "--yes"]) == 0
    capsys.readouterr()
    assert main(["history", "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in rows[1:]] == [
        ("rent", FOR_RENT.phone_number, "done", "rented", "cli:opal")
    ]


def test_a_cli_rent_without_the_database_sends_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("RENT_ENABLED", "true")
    monkeypatch.setenv("DATABASE_URL", f"postgresql://bot@/db?host={tmp_path}")
    calls = []
    real = NumberChanges.rent

    async def counted(self: NumberChanges, *args: object, **kwargs: object) -> object:
        calls.append(args)
        return await real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(NumberChanges, "rent", counted)
    assert main(["rent", FOR_RENT.phone_number, "--sandbox", "--yes"]) == 1
    err = capsys.readouterr().err
    assert "database is unavailable: nothing was changed" in err
    assert "Traceback" not in err
    assert calls == []


@pytest.mark.usefixtures("recorded")
def test_history_limit_keeps_the_newest_and_refuses_nonsense(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["history", "--limit", "1"]) == 0
    (only,) = capsys.readouterr().out.splitlines()
    assert "pending" in only
    for bad in ("0", "-3", "many"):
        with pytest.raises(SystemExit) as caught:
            main(["history", "--limit", bad])
        assert caught.value.code == 2
        err = capsys.readouterr().err
        assert "at least 1" in err
        assert "Traceback" not in err
