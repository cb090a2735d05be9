"""Settings per stage, chosen by the APP_SETTINGS config var (config.StagingConfig, config.ProductionConfig)."""
import os


class Config:
    DEBUG = False
    TESTING = False
    SECRET_KEY = os.environ.get("SECRET_KEY", "not-a-secret")
    STAGE = "base"


class StagingConfig(Config):
    DEVELOPMENT = True
    DEBUG = True
    STAGE = "staging"


class ProductionConfig(Config):
    STAGE = "production"
