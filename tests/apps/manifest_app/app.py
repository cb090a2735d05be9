"""Seaway e2e sample: what the app.json setup gave this app."""
import os

import psycopg2
from flask import Flask, jsonify

VERSION = "1"
app = Flask(__name__)


@app.get("/")
def index():
    with psycopg2.connect(os.environ["DATABASE_URL"]) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('seed_runs') IS NOT NULL")
        seeded = cursor.fetchone()[0]
        runs = 0
        if seeded:
            cursor.execute("SELECT count(*) FROM seed_runs")
            runs = cursor.fetchone()[0]
    return jsonify(version=VERSION, seed_runs=runs, greeting=os.environ.get("GREETING"),
                   mail_to=os.environ.get("MAIL_TO"), secret_length=len(os.environ.get("SECRET_KEY", "")))
