"""Policy.bind: a subject converted once gives the same decisions as the dict calls."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

import tenxyte_core as t
from conftest import VECTORS


def test_bound_subjects_decide_as_the_rbac_vectors() -> None:
    doc = json.loads((VECTORS / "rbac.json").read_text(encoding="utf-8"))["cases"]
    policy = t.Policy(doc["policy"])
    checked = 0
    for subject in doc["subjects"]:
        bound = policy.bind(subject["subject"])
        for permission, decision in subject["expected"].items():
            assert bound.has_permission(permission) is decision["allowed"], subject["name"]
            assert bound.has_permission(permission) is policy.has_permission(
                subject["subject"], permission
            )
            checked += 1
    assert checked >= 10


def test_bound_subject_roles_and_require() -> None:
    policy = t.Policy()
    viewer = policy.bind({"roles": ["viewer"]})
    assert viewer.has_role("viewer") and not viewer.has_role("admin")
    viewer.require("content.view")
    with pytest.raises(t.AuthzError) as refused:
        viewer.require("system.logs")
    assert refused.value.code == "permission_required"


def test_bind_refuses_what_the_dict_calls_refuse() -> None:
    with pytest.raises(t.InputError):
        t.Policy().bind({"roles": "admin"})
    with pytest.raises(t.InputError):
        t.Policy().bind({"bogus": []})


@pytest.mark.parametrize(
    "subject",
    [
        {"roles": "admin"},  # a bare string is not a list of codes
        {"roles": ["admin", 7]},
        {"permissions": [None]},
        {"permissions": {"content.view": True}},
        {"is_superuser": 1},  # an int is not a bool
        {"is_superuser": None},
        {"bogus": []},
        {1: ["admin"]},
        ["admin"],
        "admin",
        None,
    ],
)
def test_malformed_subjects_are_input_errors_on_every_entry_point(subject: object) -> None:
    policy = t.Policy()
    calls: list[Callable[[], object]] = [
        lambda: policy.has_permission(subject, "content.view"),  # type: ignore[arg-type]
        lambda: policy.has_role(subject, "viewer"),  # type: ignore[arg-type]
        lambda: policy.check(subject, "content.view"),  # type: ignore[arg-type]
        lambda: policy.require(subject, "content.view"),  # type: ignore[arg-type]
        lambda: policy.bind(subject),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(t.InputError) as refused:
            call()
        assert refused.value.code == "invalid_input"


def test_tuples_and_missing_fields_read_as_the_core_reads_them() -> None:
    policy = t.Policy()
    assert policy.has_permission({"roles": ("admin",)}, "users.view")
    assert policy.has_permission({"permissions": ("content.*",)}, "content.edit")
    assert not policy.has_permission({}, "content.view")
    assert policy.has_permission({"is_superuser": True}, "system.logs") == policy.bind(
        {"is_superuser": True}
    ).has_permission("system.logs")
