"""Shared pytest setup."""

# A real PostgreSQL server (session fixture ``postgres_server``), see tests/pg.py.
pytest_plugins = ["tests.pg"]
