"""The GDPR breach register (Art. 33): an append-only hash chain, the notices and their clocks."""
