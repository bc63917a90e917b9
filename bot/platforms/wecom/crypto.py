"""WeCom callback crypto (WXBizMsgCrypt): signature, AES-256-CBC with 32-byte PKCS#7, receiveid check.

The layout is rand16 ‖ uint32_be(len(msg)) ‖ msg ‖ receiveid. The random prefix can be arbitrary bytes, so
the buffer is never decoded as a whole; only `msg` is handed on, as bytes. Error codes are those of the
official samples, so an operator can compare them with WeCom's console messages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import string
import struct
from dataclasses import dataclass

from Crypto.Cipher import AES
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from bot.config import decode_aes_key

OK = 0
VALIDATE_SIGNATURE_ERROR = -40001
PARSE_XML_ERROR = -40002
ILLEGAL_AES_KEY = -40004
VALIDATE_CORPID_ERROR = -40005
ENCRYPT_AES_ERROR = -40006
DECRYPT_AES_ERROR = -40007
ILLEGAL_BUFFER = -40008
DECODE_BASE64_ERROR = -40010

ERROR_NAMES = {
    VALIDATE_SIGNATURE_ERROR: "ValidateSignature_Error",
    PARSE_XML_ERROR: "ParseXml_Error",
    ILLEGAL_AES_KEY: "IllegalAesKey",
    VALIDATE_CORPID_ERROR: "ValidateCorpid_Error",
    ENCRYPT_AES_ERROR: "EncryptAES_Error",
    DECRYPT_AES_ERROR: "DecryptAES_Error",
    ILLEGAL_BUFFER: "IllegalBuffer",
    DECODE_BASE64_ERROR: "DecodeBase64_Error",
}

BLOCK = 32  # WeCom pads to 32 bytes, not to the AES block size
_RANDOM_ALPHABET = (string.ascii_letters + string.digits).encode()


@dataclass
class WeComCryptoError(Exception):
    code: int
    reason: str

    def __str__(self) -> str:
        return f"{self.code} {ERROR_NAMES.get(self.code, '')}: {self.reason}"


def sign(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """msg_signature = sha1 hex of the four strings sorted and joined."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def extract_encrypt(body: bytes) -> str:
    """The Encrypt value of a POST envelope: XML (the usual) or the JSON variant.

    XML is parsed with defusedxml and DTDs forbidden, because this runs before the signature is known.
    """
    stripped = body.lstrip()
    if stripped[:1] == b"{":
        try:
            doc = json.loads(stripped)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nesting too deep
            raise WeComCryptoError(PARSE_XML_ERROR, "the JSON envelope is not valid JSON") from None
        value = (doc.get("encrypt") or doc.get("Encrypt")) if isinstance(doc, dict) else None
    else:
        try:
            root = ElementTree.fromstring(body, forbid_dtd=True)
        except DefusedXmlException as exc:
            raise WeComCryptoError(PARSE_XML_ERROR, f"forbidden XML construct ({type(exc).__name__})") from None
        except (ElementTree.ParseError, ValueError, UnicodeDecodeError):
            raise WeComCryptoError(PARSE_XML_ERROR, "the envelope is not well-formed XML") from None
        node = root.find("Encrypt")
        value = node.text if node is not None else None
    if not isinstance(value, str) or not value.strip():
        raise WeComCryptoError(PARSE_XML_ERROR, "the envelope has no Encrypt element")
    return value.strip()


class WXBizMsgCrypt:
    """One app's callback crypto. `receive_id` is the corpid for a self-built app."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        try:
            self.key = decode_aes_key(encoding_aes_key)
        except ValueError as exc:
            raise WeComCryptoError(ILLEGAL_AES_KEY, f"EncodingAESKey {exc}") from None
        self.token = token
        self.receive_id = receive_id.encode()

    # -- signature --------------------------------------------------------------------------------
    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return sign(self.token, timestamp, nonce, encrypt)

    def check_signature(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        expected = self.signature(timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), msg_signature.strip().lower().encode()):
            raise WeComCryptoError(VALIDATE_SIGNATURE_ERROR, "msg_signature does not match")

    # -- AES ----------------------------------------------------------------------------------------
    def decrypt(self, encrypt: str) -> bytes:
        """The message bytes inside `encrypt`, after the receiveid check."""
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise WeComCryptoError(DECODE_BASE64_ERROR, "Encrypt is not valid base64") from None
        if not data or len(data) % AES.block_size:
            raise WeComCryptoError(DECRYPT_AES_ERROR, "ciphertext length is not a multiple of 16")
        plain = AES.new(self.key, AES.MODE_CBC, self.key[:16]).decrypt(data)
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise WeComCryptoError(ILLEGAL_BUFFER, "bad padding (wrong key?)")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise WeComCryptoError(ILLEGAL_BUFFER, "plaintext shorter than its header")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise WeComCryptoError(ILLEGAL_BUFFER, "message length exceeds the buffer")
        msg, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if not hmac.compare_digest(receive_id, self.receive_id):
            raise WeComCryptoError(VALIDATE_CORPID_ERROR, "receiveid does not match this corp id")
        return msg

    def encrypt(self, msg: bytes, random16: bytes | None = None) -> str:
        if random16 is None:
            random16 = bytes(secrets.choice(_RANDOM_ALPHABET) for _ in range(16))
        if len(random16) != 16:
            raise WeComCryptoError(ENCRYPT_AES_ERROR, "random prefix must be 16 bytes")
        body = random16 + struct.pack(">I", len(msg)) + msg + self.receive_id
        pad = BLOCK - len(body) % BLOCK
        cipher = AES.new(self.key, AES.MODE_CBC, self.key[:16])
        return base64.b64encode(cipher.encrypt(body + bytes([pad]) * pad)).decode()

    # -- the two callback shapes ------------------------------------------------------------------
    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> bytes:
        """GET URL verification: the plaintext to answer with, exactly."""
        self.check_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def decrypt_message(self, msg_signature: str, timestamp: str, nonce: str, body: bytes | str) -> bytes:
        """POST body (envelope XML/JSON, or the bare Encrypt value) → inner message bytes."""
        raw = body.encode() if isinstance(body, str) else body
        encrypt = extract_encrypt(raw) if raw.lstrip()[:1] in (b"<", b"{") else raw.strip().decode("ascii", "replace")
        self.check_signature(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def encrypt_reply(self, reply: str, timestamp: str, nonce: str, random16: bytes | None = None) -> str:
        """The encrypted passive-reply envelope, byte for byte as the official library writes it."""
        encrypt = self.encrypt(reply.encode(), random16)
        signature = self.signature(timestamp, nonce, encrypt)
        return (
            "<xml>\n"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>\n"
            f"<TimeStamp>{timestamp}</TimeStamp>\n"
            f"<Nonce><![CDATA[{nonce}]]></Nonce>\n"
            "</xml>"
        )
