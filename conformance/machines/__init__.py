"""Stateful tests: Hypothesis ``RuleBasedStateMachine`` classes whose model comes from observed data.

Each module builds a machine class from a fetch function and an oracle, to be run through
``RunContext.run_machine`` (seeded, no shrinking, small step counts: every step is a request).
"""
