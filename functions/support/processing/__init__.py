"""The record of processing (GDPR Art. 30(2)), generated from the system's own configuration."""
