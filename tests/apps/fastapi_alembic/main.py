"""Seaway e2e sample: FastAPI + SQLAlchemy + plain Alembic (no Flask)."""
from fastapi import FastAPI
from sqlalchemy import create_engine, text

from db import database_url

app = FastAPI()
engine = create_engine(database_url(), pool_pre_ping=True)


@app.get("/")
def items() -> dict:
    with engine.connect() as conn:
        names = [row[0] for row in conn.execute(text("SELECT name FROM item ORDER BY id"))]
    return {"items": names}
