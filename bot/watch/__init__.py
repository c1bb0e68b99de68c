"""Watches: re-run a saved search every WATCH_INTERVAL and DM its owner each number that is new.

Owns the watch tables (``store``), the periodic tick that claims due searches (``tick``), the
diff (``diff``), the retry and expiry policy (``policy``) and the Slack messages (``blocks``).
It may import the command grammar, the service, ``bot.store`` and Slack's Block Kit helpers; the
Slack listeners (``bot.slack.watches``) and the CLI (``bot.cli_watches``) call it, never the
other way round.
"""
