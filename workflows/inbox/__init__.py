"""The inbox: indexed queries over work items, one task read, saved filters."""
