"""Run reports: report.json (the contract), junit.xml (CI) and summary.md (people)."""
