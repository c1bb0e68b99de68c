"""`python -m bot` (the Procfile's web process): serve the Slack app on 0.0.0.0:$PORT."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bot.app.server import serve
from bot.core.errors import ConfigError
from bot.ops.config import load_settings
from bot.ops.logging_setup import configure_logging, secret_values


def _parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="python -m bot",
        description=(
            "Serve the Slack app for /numbers on 0.0.0.0:$PORT (the Procfile's web process). "
            "It takes no options: settings come from the environment or a .env file "
            "(SINCH_PROJECT_ID, SINCH_KEY_ID, SINCH_KEY_SECRET, SLACK_BOT_TOKEN, "
            "SLACK_SIGNING_SECRET, ...; see the README's Configuration)."
        ),
        epilog=(
            "Without a Sinch account: `numbers-bot serve --sandbox`. Lookups from a terminal: "
            "`numbers-bot --help`."
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    # --help (or a stray argument) is answered here, before anything is configured or served.
    _parser().parse_args(argv)
    try:
        settings = load_settings()
        settings.require("serve")
    except ConfigError as err:
        print(f"numbers-bot: {err}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, secrets=secret_values(settings))
    try:
        asyncio.run(serve(settings))
    except ConfigError as err:  # found at start-up, e.g. PORT already taken
        print(f"numbers-bot: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Ctrl-C: uvicorn has drained and re-raised SIGINT; end as `numbers-bot serve` does
        # (128 + SIGINT, as a shell expects), not with asyncio's CancelledError traceback.
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
