"""The learning tasks a target can be, which checks and probes declare they apply to."""

TASKS = ("classification", "regression")
