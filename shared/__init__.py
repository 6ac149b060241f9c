"""Trivsel's common package: what two or more function areas need.

settings, tenant-scoped data access, the request principal, errors, the HTTP
layer, the event log and the messaging pipeline each have one module here.
"""
