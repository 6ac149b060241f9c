"""The one description of the deployment (deployment.toml) and what reads it."""
