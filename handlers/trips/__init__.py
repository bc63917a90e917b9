"""下村下户: trips to villages, and the transport subsidy claimed for them."""
