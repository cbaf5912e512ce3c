"""Workflow definitions as data, the Accord application, and the services that take steps."""
