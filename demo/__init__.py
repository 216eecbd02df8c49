"""The year-of-history simulator behind `flask demo`: not web code, though it runs in the app.

``simulator`` drives the real case service through a simulated year, ``plans`` are what it decides
ahead for each case, ``answers`` what the demo users type into each form, and ``names`` the tables
it draws from.
"""

from demo.simulator import any_case_exists, load_demo_history

__all__ = ["any_case_exists", "load_demo_history"]
