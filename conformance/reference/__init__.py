"""Reference servers: independent, stateful descriptions of each vendor's API.

Nothing here imports from ``conformance.profiles`` or ``conformance.oracles``: the server and the
checks are two separate readings of the vendor docs, which is what makes a self-test mean something.
"""
