"""Password hashes, API keys and keyed hashes, checked against published test vectors."""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher

from geo_service import security


def test_password_hash_is_argon2id_and_verifies_only_the_right_password() -> None:
    stored = security.hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$")
    assert security.verify_password(stored, "correct horse battery staple") is True
    assert security.verify_password(stored, "correct horse battery stapl") is False
    assert security.verify_password(stored, "") is False


def test_two_hashes_of_one_password_differ_by_their_salt() -> None:
    assert security.hash_password("same password here") != security.hash_password("same password here")


def test_a_damaged_hash_is_a_failed_verification_not_an_error() -> None:
    assert security.verify_password("not-a-hash", "whatever") is False


def test_needs_rehash_only_for_weaker_parameters() -> None:
    assert security.password_needs_rehash(security.hash_password("a fresh password")) is False
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("an old password")
    assert security.password_needs_rehash(weak) is True
    assert security.verify_password(weak, "an old password") is True


def test_api_keys_have_the_prefix_and_256_random_bits() -> None:
    keys = {security.new_api_key() for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        assert key.startswith("gsk_") and len(key) == 4 + 43
        assert security.looks_like_api_key(key)
        assert security.key_display_prefix(key) == key[:12]


def test_malformed_keys_are_recognised() -> None:
    good = security.new_api_key()
    for bad in ["", "gsk_", good[4:], "gsk_" + "a" * 42, "gsk_" + "a" * 44, "gsk_" + "a" * 42 + "!", "Bearer " + good]:
        assert not security.looks_like_api_key(bad), bad


def test_key_hash_is_sha256_hex() -> None:
    # FIPS 180-2 test vector: SHA-256("abc")
    assert security.hash_api_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    key = security.new_api_key()
    assert security.hash_api_key(key) == hashlib.sha256(key.encode()).hexdigest()


def test_keyed_hash_is_hmac_sha256() -> None:
    # RFC 4231 test case 2
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert security.keyed_hash("Jefe", "what do ya want for nothing?") == expected


def test_address_hash_depends_on_the_secret_and_the_address() -> None:
    one = security.hash_address("s" * 32, "203.0.113.7")
    assert one == security.hash_address("s" * 32, "203.0.113.7")
    assert one != security.hash_address("t" * 32, "203.0.113.7")
    assert one != security.hash_address("s" * 32, "203.0.113.8")
    assert "203.0.113.7" not in one and len(one) == 64


def test_same_secret_compares_whole_values() -> None:
    assert security.same_secret("abc", "abc")
    assert not security.same_secret("abc", "abd")
    assert not security.same_secret("abc", "abcd")
