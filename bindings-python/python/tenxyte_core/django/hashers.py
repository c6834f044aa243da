"""``PASSWORD_HASHERS`` entry: Django's ``argon2$argon2id$...`` format, hashed and
verified by the Rust core (no argon2-cffi needed)::

    PASSWORD_HASHERS = ["tenxyte_core.django.hashers.TenxyteArgon2Hasher", ...]

Rows are interchangeable with Django's ``Argon2PasswordHasher``: each verifies the
other's hashes, and for one salt and the same parameters both write the same string.
The parameters default to the core's (OWASP's argon2id minimum); subclass to change them.
"""

from __future__ import annotations

import base64
from typing import Any

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash, must_update_salt
from django.utils.translation import gettext_noop as _

from .. import password as _password
from .._errors import PasswordError

__all__ = ["TenxyteArgon2Hasher"]


class TenxyteArgon2Hasher(BasePasswordHasher):  # type: ignore[misc]
    algorithm = "argon2"
    memory_cost = _password.DEFAULT_MEMORY_KIB
    time_cost = _password.DEFAULT_ITERATIONS
    parallelism = _password.DEFAULT_PARALLELISM

    def encode(self, password: str, salt: str) -> str:
        self._check_encode_args(password, salt)
        return _password.hash(
            password,
            memory_kib=self.memory_cost,
            iterations=self.time_cost,
            parallelism=self.parallelism,
            django=True,
            salt=salt,
        )

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, variety, version, params, b64salt, digest = encoded.split("$")
        if algorithm != self.algorithm:
            raise ValueError(f"not an {self.algorithm} hash")
        # The PHC salt is unpadded base64 of the salt string Django handed to encode().
        salt = base64.b64decode(b64salt + "=" * (-len(b64salt) % 4)).decode("latin1")
        costs = dict(item.split("=", 1) for item in params.split(","))
        return {
            "algorithm": algorithm,
            "variety": variety,
            "version": int(version.removeprefix("v=")),
            "memory_cost": int(costs["m"]),
            "time_cost": int(costs["t"]),
            "parallelism": int(costs["p"]),
            "salt": salt,
            "hash": digest,
        }

    def verify(self, password: str, encoded: str) -> bool:
        try:
            checked = _password.verify(
                password,
                encoded,
                memory_kib=self.memory_cost,
                iterations=self.time_cost,
                parallelism=self.parallelism,
            )
            return checked.valid
        except PasswordError:
            # A malformed row is a failed login, as with Django's own hashers.
            return False

    def safe_summary(self, encoded: str) -> dict[str, Any]:
        d = self.decode(encoded)
        return {
            _("algorithm"): d["algorithm"],
            _("variety"): d["variety"],
            _("version"): d["version"],
            _("memory cost"): d["memory_cost"],
            _("time cost"): d["time_cost"],
            _("parallelism"): d["parallelism"],
            _("salt"): mask_hash(d["salt"]),
            _("hash"): mask_hash(d["hash"]),
        }

    def must_update(self, encoded: str) -> bool:
        d = self.decode(encoded)
        current = (d["variety"], d["memory_cost"], d["time_cost"], d["parallelism"])
        wanted = ("argon2id", self.memory_cost, self.time_cost, self.parallelism)
        return current != wanted or must_update_salt(d["salt"], self.salt_entropy)

    def harden_runtime(self, password: str, encoded: str) -> None:
        # Argon2's cost is fixed by the row's parameters; nothing to pad (as Django).
        pass
