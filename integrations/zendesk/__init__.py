"""Zendesk Support API adapter: an HTTP client and a loopback fake that speaks the same API."""
