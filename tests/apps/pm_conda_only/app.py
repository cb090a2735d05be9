"""Seaway sample: a conda app (environment.yml, conda-requirements.txt) and no pip, uv, Poetry or Pipenv files."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return "conda app\n"
