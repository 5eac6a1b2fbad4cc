"""pytest configuration: fixtures live in tests/fix_*.py plugins."""

pytest_plugins = ["tests.fix_database", "tests.fix_roles"]
