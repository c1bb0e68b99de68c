"""Sinch access: token provider, Numbers API client and response models."""
