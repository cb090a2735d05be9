"""Seaway e2e sample: Flask + Flask-SQLAlchemy + Flask-Migrate."""
import os

from flask import Flask, jsonify, request
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

VERSION = "1"


def database_url():
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("DATABASE_URL is not set")
    # Heroku-style URLs use the postgres:// scheme, which SQLAlchemy rejects.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return url


app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = database_url()
app.config["SQLALCHEMY_TRACK_MODIFICATIONS"] = False

db = SQLAlchemy(app)
migrate = Migrate(app, db)


class Greeting(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(200), nullable=False)


@app.get("/")
def index():
    greetings = db.session.scalars(db.select(Greeting).order_by(Greeting.id)).all()
    return jsonify(version=VERSION, greetings=[g.text for g in greetings])


@app.post("/greetings")
def add_greeting():
    payload = request.get_json(silent=True) or {}
    text = payload.get("text")
    if not isinstance(text, str) or not text:
        return jsonify(error="JSON body with a non-empty 'text' is required"), 400
    greeting = Greeting(text=text)
    db.session.add(greeting)
    db.session.commit()
    return jsonify(id=greeting.id, text=greeting.text), 201


@app.get("/env")
def env():
    return jsonify(DYNO=os.environ.get("DYNO"), PORT=os.environ.get("PORT"))
