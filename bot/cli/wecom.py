"""`cadrebot wecom …`: operator tools for WeCom callbacks captured from a log or a proxy."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import err, print_plain

if TYPE_CHECKING:
    from bot.platforms.wecom.crypto import WXBizMsgCrypt

app = typer.Typer(help="Operator tools for WeCom callbacks captured from a log or a proxy.", no_args_is_help=True)

Token = Annotated[str, typer.Option("--token", help="The app's Token (接收消息 → API接收).")]
AesKey = Annotated[str, typer.Option("--aes-key", help="EncodingAESKey, 43 characters.")]
CorpId = Annotated[str, typer.Option("--corp-id", help="The corp id (企业ID), the receiveid.")]
Timestamp = Annotated[str, typer.Option("--timestamp", help="The timestamp query parameter.")]
Nonce = Annotated[str, typer.Option("--nonce", help="The nonce query parameter.")]
Signature = Annotated[str, typer.Option("--signature", help="The msg_signature query parameter.")]


def _crypto_or_exit(token: str, aes_key: str, corp_id: str) -> WXBizMsgCrypt:
    from bot.platforms.wecom.crypto import WeComCryptoError, WXBizMsgCrypt

    try:
        return WXBizMsgCrypt(token, aes_key, corp_id)
    except WeComCryptoError as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None


@app.command("verify-url")
def wecom_verify_url(
    echostr: Annotated[str, typer.Argument(help="The echostr query parameter (URL-decoded or not).")],
    token: Token,
    aes_key: AesKey,
    corp_id: CorpId,
    timestamp: Timestamp,
    nonce: Nonce,
    signature: Signature,
) -> None:
    """Check a URL-verification GET and print the plaintext WeCom expects back (the timestamp's age is not checked)."""
    from urllib.parse import unquote

    from bot.platforms.wecom.crypto import WeComCryptoError

    crypto = _crypto_or_exit(token, aes_key, corp_id)
    value = unquote(echostr) if "%" in echostr else echostr
    try:
        print_plain(crypto.verify_url(signature, timestamp, nonce, value))
    except WeComCryptoError as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None


@app.command("decrypt")
def wecom_decrypt(
    body: Annotated[str, typer.Argument(help="The POST body (XML envelope) or the bare Encrypt value; - reads stdin.")],
    token: Token,
    aes_key: AesKey,
    corp_id: CorpId,
    timestamp: Timestamp,
    nonce: Nonce,
    signature: Signature,
) -> None:
    """Check and decrypt a captured message callback and print the plaintext (the timestamp's age is not checked)."""
    from bot.platforms.wecom.crypto import WeComCryptoError

    crypto = _crypto_or_exit(token, aes_key, corp_id)
    raw = sys.stdin.buffer.read() if body == "-" else body.encode()
    try:
        print_plain(crypto.decrypt_message(signature, timestamp, nonce, raw))
    except WeComCryptoError as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None
