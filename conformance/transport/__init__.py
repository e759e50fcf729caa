"""Talking to a target: the live HTTP client (timeouts, retries, pacing, budget) and cassettes."""
