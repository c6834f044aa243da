"""Policy.bind: a subject converted once gives the same decisions as the dict calls."""

from __future__ import annotations

import json

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
