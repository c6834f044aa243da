"""Role-based access control as pure decisions over a compiled policy.

A subject is a dict ``{"roles": [...], "permissions": [...], "is_superuser": bool}``
(every member optional)::

    policy = Policy()            # Tenxyte's default permission tree and roles
    policy.has_permission({"roles": ["admin"]}, "content.publish")
"""

from __future__ import annotations

from ._native import Policy

__all__ = ["Policy"]
