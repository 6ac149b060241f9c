"""E-mail and SMS through Pub/Sub (SPEC R-3).

`outbox.request_message` is what any function calls; the delivery function
(functions/tasks, `deliver_message`) runs `delivery.deliver` for each Pub/Sub
message. Each message has one Firestore record that carries its state.
"""
