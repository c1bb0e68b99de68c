"""numbers-bot: find rentable Sinch phone numbers from Slack."""

__version__ = "0.1.0"
