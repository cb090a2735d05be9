"""Seaway e2e sample for pipelines: Flask + Flask-Migrate whose settings come from APP_SETTINGS."""
import os

from flask import Flask, jsonify
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

VERSION = "1"


def database_url():
    url = os.environ["DATABASE_URL"]
    return "postgresql://" + url[len("postgres://"):] if url.startswith("postgres://") else url


app = Flask(__name__)
app.config.from_object(os.environ["APP_SETTINGS"])
app.config["SQLALCHEMY_DATABASE_URI"] = database_url()
db = SQLAlchemy(app)
migrate = Migrate(app, db)


class Greeting(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(200), nullable=False)


@app.get("/")
def index():
    tables = sorted(db.inspect(db.engine).get_table_names())
    return jsonify(version=VERSION, stage=app.config["STAGE"], debug=app.config["DEBUG"], tables=tables,
                   database=db.engine.url.database)
