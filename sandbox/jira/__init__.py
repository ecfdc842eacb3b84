"""Jira Cloud emulator: a JSM service desk (SUP) and a scrum project (ENG) derived from the world."""
from sandbox.jira.emulator import JiraEmulator

__all__ = ["JiraEmulator"]
