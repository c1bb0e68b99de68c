"""`python -m bot` (the Procfile's web process): serve the Slack app on 0.0.0.0:$PORT."""

from __future__ import annotations

import asyncio
import sys

from bot.config import load_settings
from bot.errors import ConfigError
from bot.logging_setup import configure_logging, secret_values
from bot.server import serve


def main() -> int:
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
