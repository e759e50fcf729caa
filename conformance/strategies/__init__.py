"""Hypothesis strategies and request bodies built from a profile (never from a vendor's name)."""
