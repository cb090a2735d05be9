"""manifest/: app.json as Heroku reads it (appjson.py), for the build stage and for app setups (app_setup.py)."""
