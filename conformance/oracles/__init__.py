"""Pure check functions: they take observations (exchanges, pages, walks) and raise ``Violation``.

No I/O here: gathering is done by ``conformance.checks``; these functions only decide.
"""
