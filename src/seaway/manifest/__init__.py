"""manifest/: app.json as Heroku reads it (appjson.py) and setting an app up from it (setup.py)."""
