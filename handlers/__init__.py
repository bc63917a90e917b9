"""Understanding and doing: `handlers.nlu` reads a message, one module per intent acts on it.

Importing this package is cheap on purpose (`cadrebot parse` only needs the understanding); the
dispatcher calls `handlers.registry.load()` to register every flow.
"""
