"""`cadrebot dingtalk …`: operator tools for DingTalk robot signs and event pushes."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli.common import err

app = typer.Typer(
    help="Operator tools for DingTalk robot signs and event pushes captured from a log or a proxy.",
    no_args_is_help=True,
)


@app.command("sign")
def dingtalk_sign(
    secret: Annotated[str, typer.Option("--secret", help="The AppSecret (or a custom robot's SEC… secret).")],
    timestamp: Annotated[str, typer.Option("--timestamp", help="The timestamp header, in milliseconds.")],
) -> None:
    """Print the sign DingTalk sends with this timestamp: plain base64, not URL-encoded."""
    from bot.platforms.dingtalk.crypto import robot_sign

    sys.stdout.write(robot_sign(secret, timestamp) + "\n")


@app.command("decrypt")
def dingtalk_decrypt(
    encrypt: Annotated[
        str, typer.Argument(help='The "encrypt" value, or the POST body {"encrypt": …}; - reads stdin.')
    ],
    token: Annotated[str, typer.Option("--token", help="事件订阅 签名token.")],
    aes_key: Annotated[str, typer.Option("--aes-key", help="事件订阅 加密aes_key, 43 characters.")],
    owner_key: Annotated[str, typer.Option("--owner-key", help="The AppKey (corpId for legacy registrations).")],
    timestamp: Annotated[str, typer.Option("--timestamp", help="The timestamp (or timeStamp) query parameter.")],
    nonce: Annotated[str, typer.Option("--nonce", help="The nonce query parameter.")],
    signature: Annotated[str, typer.Option("--signature", help="The signature (or msg_signature) query parameter.")],
) -> None:
    """Check and decrypt a captured event push and print the plaintext (the timestamp's age is not checked)."""
    import json

    from bot.platforms.dingtalk.crypto import DingCallbackCrypto, DingTalkCryptoError

    value = sys.stdin.read() if encrypt == "-" else encrypt
    if value.lstrip().startswith("{"):
        try:
            value = json.loads(value).get("encrypt") or ""
        except (ValueError, AttributeError):
            err.print('the body is not JSON with an "encrypt" string')
            raise typer.Exit(1) from None
    try:
        crypto = DingCallbackCrypto(token, aes_key, owner_key)
        sys.stdout.write(crypto.decrypt(signature, timestamp, nonce, str(value).strip()) + "\n")
    except DingTalkCryptoError as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None
