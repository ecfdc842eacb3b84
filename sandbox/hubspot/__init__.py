"""HubSpot CRM emulator (mounted at `/hubspot`): see docs/sandbox/hubspot.md."""
from sandbox.hubspot.emulator import HubSpotEmulator

__all__ = ["HubSpotEmulator"]
