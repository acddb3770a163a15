"""The database layer: models.py (the tables), session.py (engines and sessions), migrate.py
(Alembic, with its scripts in migrations/)."""
