"""Two weeks of life: a landing dir that fills day by day as vendors deliver (tests/life/scenario.py)."""
