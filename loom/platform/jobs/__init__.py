"""Scheduled work: scheduled automations and flow timeouts, once per period across processes."""
