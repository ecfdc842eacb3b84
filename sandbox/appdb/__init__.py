"""The PenguinMails app database (tenants, users, logins, mailboxes, campaigns, daily usage, campaign events)."""
from sandbox.appdb.emulator import AppDb

__all__ = ["AppDb"]
