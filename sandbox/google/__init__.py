"""The Google Workspace + GA4 emulator (`/google`): OAuth for service accounts, Calendar, Drive,
Sheets, Gmail (metadata) and the GA4 Data API. See docs/sandbox/google.md."""
from sandbox.google.emulator import GoogleEmulator

__all__ = ["GoogleEmulator"]
