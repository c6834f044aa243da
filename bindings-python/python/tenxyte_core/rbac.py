"""Role-based access control as pure decisions over a compiled policy.

A subject is a dict ``{"roles": [...], "permissions": [...], "is_superuser": bool}``
(every member optional)::

    policy = Policy()            # Tenxyte's default permission tree and roles
    policy.has_permission({"roles": ["admin"]}, "content.publish")

For many checks of one subject, bind it once: ``policy.bind(subject)`` returns a
:class:`BoundSubject` whose ``has_permission(code)`` skips the dict conversion (most of
a call's cost); the decision is the same.
"""

from __future__ import annotations

from ._native import BoundSubject, Policy

__all__ = ["BoundSubject", "Policy"]
