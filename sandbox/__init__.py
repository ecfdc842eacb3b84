"""The sandbox: one synthetic PenguinMails company world served through wire-faithful local
emulators of Stripe, Jira Cloud, HubSpot and Google, plus a filled app database."""
