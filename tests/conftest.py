"""Shared pytest setup."""

# Real database servers, started once per session when a test asks for one: PostgreSQL
# (fixture ``postgres_server``, tests/pg.py) and MariaDB (``mariadb_server``, tests/mariadb.py).
pytest_plugins = ["tests.pg", "tests.mariadb"]
