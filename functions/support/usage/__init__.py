"""Usage statistics for the supplier (issue 17): per tenant and month, aggregates only."""
