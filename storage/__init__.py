"""SQLAlchemy models, query functions and Alembic migrations."""
