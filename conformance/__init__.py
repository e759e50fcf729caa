"""ticket-conformance: contract and conformance tests for the Opine and Copper Ticket APIs."""

__version__ = "0.1.0"
