"""The database URL, as Heroku gives it (postgres://), in the form SQLAlchemy wants."""
import os


def database_url() -> str:
    url = os.environ["DATABASE_URL"]
    return "postgresql://" + url[len("postgres://"):] if url.startswith("postgres://") else url
