"""E-mail and SMS through Pub/Sub (SPEC R-3).

An area renders its message from its own templates and calls `outbox.email` or
`outbox.sms`; the delivery function (functions/messaging, `deliver_message`) runs
`delivery.deliver` for each Pub/Sub message. Each message has one Firestore record
that carries its state; `retention` holds the nightly jobs over those records.
"""
