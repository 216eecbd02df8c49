"""Deploying models: checks, versions, Camunda translation, migration of running cases."""
