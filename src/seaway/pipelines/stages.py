"""A pipeline's stages, upstream first: promotion goes from one to the next (the CLI offers these too)."""

STAGES = ("development", "staging", "production")
