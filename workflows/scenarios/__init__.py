"""Process scenarios: readable YAML files that drive a model through the case service and assert.

``loader`` reads and checks the files, ``runner`` plays them on a database, ``expect`` compares,
``coverage`` says which flow nodes and sequence flows of each model the scenarios took.
"""
