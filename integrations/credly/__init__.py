"""Credly adapter: a client for the Web Service API's badges and templates (FakeCredly lives in .fake)."""

from .client import CredlyClient

__all__ = ["CredlyClient"]
