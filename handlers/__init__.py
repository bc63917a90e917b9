"""Understanding and doing: `handlers.nlu` reads a message, one module per intent acts on it.

Each intent is declared once, next to its handler (`handlers.catalogue`); every list about intents is derived
from the declarations. Importing this package is cheap on purpose (`cadrebot parse` only needs the
understanding and the declarations); the dispatcher calls `handlers.registry.load()`, which imports every
module under `handlers/` and so registers every flow and form.
"""
