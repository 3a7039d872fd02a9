"""chatgate's Gherkin scenarios (conversations/*.feature), collected by test_features.py.

Installed, this is the package `chatgate.features`: `pytest --pyargs chatgate.features` runs
them; the step definitions and the `driver` come from chatgate's pytest plugin.
"""
