"""`chatgate verify`: the Gherkin suites against a backend, read as the seeds' checklists."""
