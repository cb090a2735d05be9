"""The release command: `alembic upgrade head`, from Python (the pattern many FastAPI apps on Heroku use)."""
import os

from alembic import command
from alembic.config import Config

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
command.upgrade(Config(os.path.join(here, "alembic.ini")), "head")
print("migrations applied", flush=True)
