"""The weather store: SQLAlchemy models, engine, Alembic migrations."""
