"""SpiffWorkflow glue: parser, serializer, sandbox, the one clock and hardened XML."""
