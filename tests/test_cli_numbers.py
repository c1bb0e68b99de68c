"""numbers-bot show|rent|release NUMBER against the sandbox: guards, confirmation, exit codes."""

from __future__ import annotations

import io
import json

import pytest

from bot.cli import numbers as cli_numbers
from bot.cli.app import main
from bot.sandbox.catalog import CATALOG

FOR_RENT = next(o for o in CATALOG.offers if o.phone_number.startswith("+12065550"))
RENTED = next(r for r in CATALOG.rentals if r.phone_number.startswith("+12065550"))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


@pytest.fixture(autouse=True)
def _no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", _Pipe())
    for name in ("RENT_ENABLED", "RENT_MAX_MONTHLY_PRICE", "RENT_ALLOWED_USER_IDS"):
        monkeypatch.delenv(name, raising=False)


def test_show_prints_a_rented_number_and_exits_1_for_one_not_rented(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["show", RENTED.phone_number, "--sandbox"]) == 0
    out = capsys.readouterr().out
    assert "Next charge:" in out
    assert "Monthly: USD" in out
    assert main(["show", FOR_RENT.phone_number, "--sandbox"]) == 1
    captured = capsys.readouterr()
    assert "does not rent" in captured.err  # not a result: stdout stays empty
    assert "does not rent" not in captured.out


def test_rent_needs_rent_enabled(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rent", FOR_RENT.phone_number, "--sandbox", "--yes"]) == 2
    err = capsys.readouterr().err
    assert "RENT_ENABLED=true" in err
    assert "Traceback" not in err


def test_rent_without_a_terminal_needs_yes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RENT_ENABLED", "true")
    assert main(["release", RENTED.phone_number, "--sandbox"]) == 2
    assert "--yes" in capsys.readouterr().err


def test_rent_with_yes_rents_and_ignores_the_slack_allowlist(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RENT_ENABLED", "true")  # RENT_ALLOWED_USER_IDS stays empty: nobody
    assert main(["rent", FOR_RENT.phone_number, "--sandbox", "--yes", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["outcome"] == "rented"
    assert data["active"]["phone_number"] == FOR_RENT.phone_number


def test_rent_respects_the_price_ceiling(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RENT_ENABLED", "true")
    monkeypatch.setenv("RENT_MAX_MONTHLY_PRICE", "0.50")
    assert main(["rent", FOR_RENT.phone_number, "--sandbox", "--yes"]) == 2
    captured = capsys.readouterr()
    assert "above the limit of USD 0.50" in captured.err
    assert "Not rented" not in captured.out


def test_on_a_terminal_rent_asks_and_no_means_nothing_changes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RENT_ENABLED", "true")
    monkeypatch.setattr("sys.stdin", _Terminal())
    questions: list[str] = []

    def decline(question: str) -> bool:
        questions.append(question)
        return False

    monkeypatch.setattr(cli_numbers, "terminal_ask", decline)
    assert main(["rent", FOR_RENT.phone_number, "--sandbox"]) == 1
    captured = capsys.readouterr()
    assert "Nothing was changed" in captured.err
    assert "Nothing was changed" not in captured.out
    assert "Monthly: USD" in questions[0]
    assert "+1 206-555-0" in questions[0]

    monkeypatch.setattr(cli_numbers, "terminal_ask", lambda question: True)
    assert main(["rent", FOR_RENT.phone_number, "--sandbox"]) == 0
    assert "Rented +1 206-555-0" in capsys.readouterr().out


def test_release_with_yes_says_until_when(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RENT_ENABLED", "true")
    assert main(["release", RENTED.phone_number, "--sandbox", "--yes"]) == 0
    assert "stays active until" in capsys.readouterr().out


def test_a_bad_number_exits_2_in_cli_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "2065550100", "--sandbox"]) == 2
    err = capsys.readouterr().err
    assert "numbers-bot show +12065550100" in err
    assert "Traceback" not in err


def test_a_national_number_is_echoed_as_typed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "(206) 555-0102", "--sandbox"]) == 2
    err = capsys.readouterr().err
    assert "`(206) 555-0102` is not a phone number in international form" in err


def test_renting_a_number_never_on_offer_does_not_say_it_once_was(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RENT_ENABLED", "true")
    never = "+12025550188"
    assert all(o.phone_number != never for o in CATALOG.offers)
    assert main(["rent", never, "--sandbox", "--yes"]) == 1
    err = capsys.readouterr().err
    assert "Not rented: Sinch does not offer +1 202-555-0188 for rent" in err
    assert "any more" not in err


def test_sandbox_results_say_sandbox_and_json_is_indented_like_search(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["show", RENTED.phone_number, "--sandbox"]) == 0
    assert capsys.readouterr().out.startswith("SANDBOX DATA: fictional numbers")
    assert main(["show", RENTED.phone_number, "--sandbox", "--json"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('{\n  "sandbox": true,\n')  # indented, as `search --json` is
    assert json.loads(out)["rented"] is True
    monkeypatch.setenv("RENT_ENABLED", "true")
    assert main(["rent", FOR_RENT.phone_number, "--sandbox", "--yes"]) == 0
    assert capsys.readouterr().out.startswith("SANDBOX DATA")
    # Each run has its own in-process sandbox: release one the sandbox rents from the start.
    assert main(["release", RENTED.phone_number, "--sandbox", "--yes"]) == 0
    assert capsys.readouterr().out.startswith("SANDBOX DATA")
