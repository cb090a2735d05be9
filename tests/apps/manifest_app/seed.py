"""The postdeploy script: records each run in the database (app.json says it runs once)."""
import os

import psycopg2

with psycopg2.connect(os.environ["DATABASE_URL"]) as connection, connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS seed_runs (id serial PRIMARY KEY, at timestamptz DEFAULT now())")
    cursor.execute("INSERT INTO seed_runs DEFAULT VALUES")
print("seeded", flush=True)
