"""`python -m bench`: a reproducible load benchmark of the Slack app against the Sinch sandbox."""
