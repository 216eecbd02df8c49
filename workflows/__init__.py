"""The process core of Tripflow: deployments, cases, the inbox index, timers and the audit trail.

Nothing in this package imports Flask; the web app, the command line and the tests all call
the same service functions.
"""
