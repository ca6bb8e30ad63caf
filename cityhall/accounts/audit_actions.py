"""The audit actions of `accounts`: each written once, here."""

from __future__ import annotations

from cityhall.core.audit import AuditAction


class AccountAudit(AuditAction):
    """People, access and signing in."""

    SIGN_IN = "accounts.sign_in"
    SIGN_IN_FAILED = "accounts.sign_in_failed"
    LOCKED_OUT = "accounts.locked_out"
    SIGN_OUT = "accounts.sign_out"
    CODE_SENT = "accounts.code_sent"
    CODE_FAILED = "accounts.code_failed"
    RESIDENT_SIGNED_UP = "accounts.resident_signed_up"
    IDENTITY_ADDED = "accounts.identity_added"
    USER_CREATE = "user.create"
    USER_CHANGE = "user.change"
    USER_SET_LANGUAGE = "user.set_language"
    USER_SET_PASSWORD = "user.set_password"
    MEMBERSHIP_GRANT = "membership.grant"
    MEMBERSHIP_CHANGE = "membership.change"
    MEMBERSHIP_END = "membership.end"
    MEMBERSHIP_DELETE = "membership.delete"
    TOKEN_ISSUE = "token.issue"
    TOKEN_REVOKE = "token.revoke"
    API_KEY_CREATE = "api_key.create"
    API_KEY_UPDATE = "api_key.update"
