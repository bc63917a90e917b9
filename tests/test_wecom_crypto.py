"""WXBizMsgCrypt against other people's known-answer vectors, and the ways a ciphertext can be wrong."""

from __future__ import annotations

import base64
import contextlib
import json
import struct
from pathlib import Path

import pytest
from Crypto.Cipher import AES
from hypothesis import given
from hypothesis import strategies as st

from bot.platforms.wecom import crypto as c
from bot.platforms.wecom.crypto import WeComCryptoError, WXBizMsgCrypt, extract_encrypt, sign

HERE = Path(__file__).parent
VECTORS_FILE = HERE / "data" / "wecom-vectors.json"
SHARED = HERE.parent.parent / "shared" / "protocols" / "wecom-vectors.json"
VECTORS = json.loads(VECTORS_FILE.read_text())["vectors"]


def by_kind(kind: str) -> list[dict]:
    return [v for v in VECTORS if v["kind"] == kind]


def ids(vectors: list[dict]) -> list[str]:
    return [v["id"] for v in vectors]


def test_the_copy_matches_the_shared_vectors() -> None:
    if not SHARED.exists():
        pytest.skip("shared/ is not beside this checkout")
    assert json.loads(SHARED.read_text()) == json.loads(VECTORS_FILE.read_text())


def test_every_vector_kind_is_covered() -> None:
    kinds = {v["kind"] for v in VECTORS}
    assert kinds <= {"verify_url", "decrypt_msg", "encrypt_msg", "negative_signature", "negative_receive_id"}
    assert len(VECTORS) == 10


@pytest.mark.parametrize("v", by_kind("verify_url"), ids=ids(by_kind("verify_url")))
def test_verify_url_vectors(v: dict) -> None:
    crypto = WXBizMsgCrypt(v["token"], v["encoding_aes_key"], v["receive_id"])
    assert crypto.signature(v["timestamp"], v["nonce"], v["echostr"]) == v["msg_signature"]
    assert crypto.verify_url(v["msg_signature"], v["timestamp"], v["nonce"], v["echostr"]) == v["expected_msg"].encode()


@pytest.mark.parametrize("v", by_kind("decrypt_msg"), ids=ids(by_kind("decrypt_msg")))
def test_decrypt_vectors(v: dict) -> None:
    crypto = WXBizMsgCrypt(v["token"], v["encoding_aes_key"], v["receive_id"])
    assert extract_encrypt(v["post_body"].encode()) == v["encrypt"]
    assert crypto.signature(v["timestamp"], v["nonce"], v["encrypt"]) == v["msg_signature"]
    plain = crypto.decrypt_message(v["msg_signature"], v["timestamp"], v["nonce"], v["post_body"].encode())
    assert plain == v["expected_msg"].encode()
    # the bare Encrypt value, as the operator tool accepts it
    assert crypto.decrypt_message(v["msg_signature"], v["timestamp"], v["nonce"], v["encrypt"]) == plain


@pytest.mark.parametrize("v", by_kind("encrypt_msg"), ids=ids(by_kind("encrypt_msg")))
def test_encrypt_vector_is_byte_exact(v: dict) -> None:
    crypto = WXBizMsgCrypt(v["token"], v["encoding_aes_key"], v["receive_id"])
    encrypted = crypto.encrypt(v["reply_plaintext"].encode(), v["random_prefix"].encode())
    assert encrypted == v["expected_encrypt"]
    assert crypto.signature(v["timestamp"], v["nonce"], encrypted) == v["expected_msg_signature"]
    reply = crypto.encrypt_reply(v["reply_plaintext"], v["timestamp"], v["nonce"], v["random_prefix"].encode())
    assert reply == v["expected_reply_xml"]
    assert crypto.decrypt(encrypted) == v["reply_plaintext"].encode()


@pytest.mark.parametrize("v", by_kind("negative_signature"), ids=ids(by_kind("negative_signature")))
def test_negative_signature_vectors(v: dict) -> None:
    assert sign(v["token"], v["timestamp"], v["nonce"], v["encrypt"]) != v["msg_signature"]
    crypto = WXBizMsgCrypt(v["token"], "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a")
    with pytest.raises(WeComCryptoError) as exc:
        crypto.verify_url(v["msg_signature"], v["timestamp"], v["nonce"], v["encrypt"])
    assert exc.value.code == c.VALIDATE_SIGNATURE_ERROR


@pytest.mark.parametrize("v", by_kind("negative_receive_id"), ids=ids(by_kind("negative_receive_id")))
def test_negative_receive_id_vectors(v: dict) -> None:
    crypto = WXBizMsgCrypt(v["token"], v["encoding_aes_key"], v["receive_id"])
    with pytest.raises(WeComCryptoError) as exc:
        crypto.decrypt_message(v["msg_signature"], v["timestamp"], v["nonce"], v["encrypt"])
    assert exc.value.code == c.VALIDATE_CORPID_ERROR


# -- keys -----------------------------------------------------------------------------------------------

GOOD_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


@pytest.mark.parametrize(
    "key",
    [GOOD_KEY[:42], GOOD_KEY + "A", GOOD_KEY[:42] + "=", GOOD_KEY[:42] + "$", ""],
    ids=["42 chars", "44 chars", "trailing =", "dollar", "empty"],
)
def test_bad_aes_keys_are_refused(key: str) -> None:
    with pytest.raises(WeComCryptoError) as exc:
        WXBizMsgCrypt("t", key, "corp")
    assert exc.value.code == c.ILLEGAL_AES_KEY


# -- malformed ciphertexts ------------------------------------------------------------------------------


def raw_encrypt(key: bytes, plaintext: bytes) -> str:
    """AES-CBC with WeCom's key and IV but no padding added: the test controls every byte."""
    return base64.b64encode(AES.new(key, AES.MODE_CBC, key[:16]).encrypt(plaintext)).decode()


@pytest.fixture
def official() -> WXBizMsgCrypt:
    return WXBizMsgCrypt("QDG6eK", GOOD_KEY, "wx5823bf96d3bd56c7")


def test_not_base64(official: WXBizMsgCrypt) -> None:
    with pytest.raises(WeComCryptoError) as exc:
        official.decrypt("not*base64!")
    assert exc.value.code == c.DECODE_BASE64_ERROR


def test_length_not_a_multiple_of_16(official: WXBizMsgCrypt) -> None:
    with pytest.raises(WeComCryptoError) as exc:
        official.decrypt(base64.b64encode(b"x" * 20).decode())
    assert exc.value.code == c.DECRYPT_AES_ERROR


def test_truncated_ciphertext(official: WXBizMsgCrypt) -> None:
    good = official.encrypt(b"<xml>hello</xml>")
    chopped = base64.b64encode(base64.b64decode(good)[:-16]).decode()
    with pytest.raises(WeComCryptoError) as exc:
        official.decrypt(chopped)
    assert exc.value.code in (c.ILLEGAL_BUFFER, c.VALIDATE_CORPID_ERROR)


@pytest.mark.parametrize("pad", [0, 33, 200])
def test_pad_byte_out_of_range(official: WXBizMsgCrypt, pad: int) -> None:
    body = b"0" * 16 + struct.pack(">I", 3) + b"abc" + b"wx5823bf96d3bd56c7"
    body += b"\x00" * (32 - len(body) % 32 - 1) + bytes([pad])
    with pytest.raises(WeComCryptoError) as exc:
        official.decrypt(raw_encrypt(official.key, body))
    assert exc.value.code == c.ILLEGAL_BUFFER


def test_inconsistent_padding(official: WXBizMsgCrypt) -> None:
    body = b"0" * 16 + struct.pack(">I", 3) + b"abc" + b"wx5823bf96d3bd56c7"
    pad = 32 - len(body) % 32
    padding = bytearray([pad]) * pad
    padding[0] ^= 1
    with pytest.raises(WeComCryptoError) as exc:
        official.decrypt(raw_encrypt(official.key, body + bytes(padding)))
    assert exc.value.code == c.ILLEGAL_BUFFER


def test_declared_length_longer_than_the_buffer(official: WXBizMsgCrypt) -> None:
    body = b"0" * 16 + struct.pack(">I", 10_000) + b"abc"
    pad = 32 - len(body) % 32
    with pytest.raises(WeComCryptoError) as exc:
        official.decrypt(raw_encrypt(official.key, body + bytes([pad]) * pad))
    assert exc.value.code == c.ILLEGAL_BUFFER


def test_wrong_key_never_decrypts_silently() -> None:
    sender = WXBizMsgCrypt("QDG6eK", GOOD_KEY, "wx5823bf96d3bd56c7")
    other = WXBizMsgCrypt("QDG6eK", "A" * 43, "wx5823bf96d3bd56c7")
    with pytest.raises(WeComCryptoError) as exc:
        other.decrypt(sender.encrypt(b"<xml>secret</xml>"))
    assert exc.value.code in (c.ILLEGAL_BUFFER, c.VALIDATE_CORPID_ERROR)


def test_random_prefix_may_be_any_bytes(official: WXBizMsgCrypt) -> None:
    prefix = bytes([0x21, 0xE3, 0x30, 0x70, 0xC5, 0x6D, 0xFF, 0x00] * 2)
    assert official.decrypt(official.encrypt("你好".encode(), prefix)) == "你好".encode()


@given(st.binary(max_size=3000))
def test_round_trip_any_message(message: bytes) -> None:
    crypto = WXBizMsgCrypt("QDG6eK", GOOD_KEY, "wx5823bf96d3bd56c7")
    encrypted = crypto.encrypt(message)
    assert len(base64.b64decode(encrypted)) % 32 == 0
    assert crypto.decrypt(encrypted) == message


@given(st.text(max_size=200))
def test_decrypt_never_raises_anything_but_its_own_error(garbage: str) -> None:
    crypto = WXBizMsgCrypt("QDG6eK", GOOD_KEY, "wx5823bf96d3bd56c7")
    with contextlib.suppress(WeComCryptoError):
        crypto.decrypt_message("0" * 40, "1", "2", garbage.encode())


def test_envelope_with_external_entity_is_refused() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>'
    )
    with pytest.raises(WeComCryptoError) as exc:
        extract_encrypt(body)
    assert exc.value.code == c.PARSE_XML_ERROR


def test_envelope_without_encrypt() -> None:
    with pytest.raises(WeComCryptoError) as exc:
        extract_encrypt(b"<xml><ToUserName>x</ToUserName></xml>")
    assert exc.value.code == c.PARSE_XML_ERROR
