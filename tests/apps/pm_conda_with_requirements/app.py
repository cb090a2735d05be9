"""Seaway sample: a conda app (environment.yml, conda-requirements.txt) beside a requirements.txt, which is what gets installed."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return "conda app\n"
