"""Sinch access: the token provider (``auth``), the Numbers API client (``client``)
over httpx or aiohttp, retry schedules and the wire models (``models``).

It may import ``bot.core`` only; it knows nothing of Slack, commands or the capabilities.
"""
