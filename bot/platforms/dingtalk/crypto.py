"""DingTalk crypto: the robot callback's `sign` header and the event subscription cipher (DingCallbackCrypto).

Robot sign (spec §1.2): base64(HMAC-SHA256(key=AppSecret, msg=timestamp + "\\n" + AppSecret)), plain base64,
timestamp in milliseconds. It covers only the timestamp, never the body, so the window is all that limits a
replayed pair.

Event cipher (spec §2): rand16 ‖ uint32_be(len(msg)) ‖ msg ‖ owner key, AES-256-CBC with IV = key[:16],
PKCS#7 to 32 bytes. Decrypting accepts pad 1..32 because the official Go and Rust samples pad to 16. Error
codes are the official library's (900001–900010), so an operator can compare them with DingTalk's messages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import string
import struct
import time
from dataclasses import dataclass
from enum import StrEnum

from Crypto.Cipher import AES

from bot.config import decode_aes_key

# -- robot callback sign --------------------------------------------------------------------------------


class SignProblem(StrEnum):
    BAD_TIMESTAMP = "bad_timestamp"  # missing or not a decimal number of milliseconds
    STALE = "stale_timestamp"  # too far in the past or the future
    MISSING = "missing_sign"
    MISMATCH = "bad_sign"


@dataclass
class RobotSignError(Exception):
    problem: SignProblem
    reason: str

    def __str__(self) -> str:
        return f"{self.problem}: {self.reason}"


def robot_sign(secret: str, timestamp: str) -> str:
    """The `sign` DingTalk sends (and a custom robot's webhook needs, before URL-encoding)."""
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def verify_robot_sign(secret: str, timestamp: str, sign: str, now_ms: int, window_ms: int) -> None:
    """Raise RobotSignError unless `sign` is right for `timestamp` and the timestamp is within the window,
    in either direction (a clock ahead of ours is as suspect as one behind)."""
    # Bounded length: an absurd header must not become a huge int.
    if not timestamp or len(timestamp) > 16 or not timestamp.isascii() or not timestamp.isdigit():
        raise RobotSignError(SignProblem.BAD_TIMESTAMP, "timestamp must be milliseconds since the epoch, in digits")
    if abs(now_ms - int(timestamp)) > window_ms:
        raise RobotSignError(SignProblem.STALE, f"timestamp is more than {window_ms // 1000}s from now")
    if not sign:
        raise RobotSignError(SignProblem.MISSING, "the sign header is missing")
    expected = robot_sign(secret, timestamp).encode()
    if not hmac.compare_digest(expected, sign.strip().encode("utf-8", "replace")):
        raise RobotSignError(SignProblem.MISMATCH, "sign does not match the timestamp and the app secret")


# -- event subscription cipher --------------------------------------------------------------------------

PLAINTEXT_ILLEGAL = 900001
TIMESTAMP_ILLEGAL = 900002
NONCE_ILLEGAL = 900003
AES_KEY_ILLEGAL = 900004
SIGNATURE_MISMATCH = 900005
SIGNATURE_ERROR = 900006
ENCRYPT_ERROR = 900007
DECRYPT_ERROR = 900008
LENGTH_MISMATCH = 900009
OWNER_KEY_MISMATCH = 900010

ERROR_NAMES = {
    PLAINTEXT_ILLEGAL: "加密明文文本非法",
    TIMESTAMP_ILLEGAL: "加密时间戳参数非法",
    NONCE_ILLEGAL: "加密随机字符串参数非法",
    AES_KEY_ILLEGAL: "不合法的aeskey",
    SIGNATURE_MISMATCH: "签名不匹配",
    SIGNATURE_ERROR: "签名计算失败",
    ENCRYPT_ERROR: "计算加密文字错误",
    DECRYPT_ERROR: "计算解密文字错误",
    LENGTH_MISMATCH: "计算解密文字长度不匹配",
    OWNER_KEY_MISMATCH: "计算解密文字corpid不匹配",
}

BLOCK = 32  # DingTalk pads to 32 bytes, not to the AES block size
_ALPHABET = string.ascii_letters + string.digits


@dataclass
class DingTalkCryptoError(Exception):
    code: int
    reason: str

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def callback_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """sha1 hex of the four strings sorted and joined, as every official sample computes it."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def pkcs7_pad(data: bytes, block: int = BLOCK) -> bytes:
    n = block - len(data) % block
    return data + bytes([n]) * n


def pkcs7_unpad(data: bytes, block: int = BLOCK) -> bytes:
    n = data[-1] if data else 0
    if not 1 <= n <= block or n > len(data) or data[-n:] != bytes([n]) * n:
        raise DingTalkCryptoError(DECRYPT_ERROR, "bad padding (wrong aes_key?)")
    return data[:-n]


class DingCallbackCrypto:
    """One app's event subscription cipher. `owner_key` is the AppKey for events set up in the developer
    console (the corpId only for the legacy register_call_back, the suiteKey for third-party apps)."""

    def __init__(self, token: str, aes_key: str, owner_key: str) -> None:
        try:
            self.key = decode_aes_key(aes_key)
        except ValueError as exc:
            raise DingTalkCryptoError(AES_KEY_ILLEGAL, f"aes_key {exc}") from None
        self.token = token
        self.owner_key = owner_key.encode()

    # -- signature -------------------------------------------------------------------------------------
    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return callback_signature(self.token, timestamp, nonce, encrypt)

    def check_signature(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        if not timestamp:
            raise DingTalkCryptoError(TIMESTAMP_ILLEGAL, "timestamp is missing")
        if not nonce:
            raise DingTalkCryptoError(NONCE_ILLEGAL, "nonce is missing")
        expected = self.signature(timestamp, nonce, encrypt).encode()
        if not hmac.compare_digest(expected, signature.strip().lower().encode("utf-8", "replace")):
            raise DingTalkCryptoError(SIGNATURE_MISMATCH, "signature does not match")

    # -- AES -------------------------------------------------------------------------------------------
    def aes_encrypt(self, data: bytes, block: int = BLOCK) -> str:
        """AES-256-CBC of `data` after PKCS#7 to `block` bytes, as base64 without line breaks."""
        cipher = AES.new(self.key, AES.MODE_CBC, self.key[:16])
        return base64.b64encode(cipher.encrypt(pkcs7_pad(data, block))).decode()

    def aes_decrypt(self, encrypt: str) -> bytes:
        """The unpadded bytes inside `encrypt` (any pad 1..32 accepted)."""
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise DingTalkCryptoError(DECRYPT_ERROR, "encrypt is not valid base64") from None
        if not data or len(data) % AES.block_size:
            raise DingTalkCryptoError(DECRYPT_ERROR, "ciphertext length is not a multiple of 16")
        return pkcs7_unpad(AES.new(self.key, AES.MODE_CBC, self.key[:16]).decrypt(data))

    def decrypt(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> str:
        """The plaintext of a push, after the signature (first, before any AES) and the owner key."""
        self.check_signature(signature, timestamp, nonce, encrypt)
        plain = self.aes_decrypt(encrypt)
        if len(plain) < 20:
            raise DingTalkCryptoError(LENGTH_MISMATCH, "plaintext shorter than its header")
        (length,) = struct.unpack(">I", plain[16:20])
        # A wrong key yields a garbage length: bound it before slicing (DingTalk-Callback-Crypto #23/#24).
        if 20 + length > len(plain):
            raise DingTalkCryptoError(LENGTH_MISMATCH, "message length exceeds the buffer (wrong aes_key?)")
        msg, owner = plain[20 : 20 + length], plain[20 + length :]
        if not hmac.compare_digest(owner, self.owner_key):
            raise DingTalkCryptoError(OWNER_KEY_MISMATCH, "owner key does not match (it should be the AppKey)")
        try:
            return msg.decode("utf-8")
        except UnicodeDecodeError:
            raise DingTalkCryptoError(PLAINTEXT_ILLEGAL, "the message is not UTF-8") from None

    def encrypt(
        self, plaintext: str, nonce: str | None = None, timestamp: str | None = None, random16: str | None = None
    ) -> dict[str, str]:
        """The reply DingTalk expects, exactly: {"msg_signature","timeStamp","nonce","encrypt"}."""
        if not isinstance(plaintext, str):
            raise DingTalkCryptoError(PLAINTEXT_ILLEGAL, "plaintext must be a string")
        prefix = (random16 if random16 is not None else _random(16)).encode()
        if len(prefix) != 16:
            raise DingTalkCryptoError(ENCRYPT_ERROR, "random prefix must be 16 bytes")
        nonce = nonce if nonce is not None else _random(16)
        timestamp = timestamp if timestamp is not None else str(int(time.time() * 1000))
        if not timestamp:
            raise DingTalkCryptoError(TIMESTAMP_ILLEGAL, "timestamp is empty")
        if not nonce:
            raise DingTalkCryptoError(NONCE_ILLEGAL, "nonce is empty")
        msg = plaintext.encode()
        encrypt = self.aes_encrypt(prefix + struct.pack(">I", len(msg)) + msg + self.owner_key)
        return {
            "msg_signature": self.signature(timestamp, nonce, encrypt),
            "timeStamp": timestamp,
            "nonce": nonce,
            "encrypt": encrypt,
        }
