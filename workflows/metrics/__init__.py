"""The figures of the quarterly review, each defined once over the audit trail."""
