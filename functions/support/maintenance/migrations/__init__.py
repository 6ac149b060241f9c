"""Data migrations (SPEC M-3): numbered, idempotent, resumable, per tenant, in its window.

`mNNNN_<name>.py` modules each define one `Migration` (`model.py`): the tenant collection
it scans and a pure `change(fields)` giving the update a document needs (None when it
needs none). `registry.py` lists them in order; `engine.py` runs them for one tenant in
batches, each batch one transaction that writes the migrated documents and the cursor
together; `job.py` is the nightly job (only inside each tenant's maintenance window);
`__main__.py` the command line (`status`, `run`).
"""
