"""Independent implementations of the vendors' APIs (opine_alt, copper_alt), used to red-team the suite."""
