"""The emergency resource pool: partners per destination the guide and the supervisor call on."""
