"""DingTalk (钉钉): the robot's HTTP callback and the event subscription push (crypto, wire format, routes),
the sessionWebhook memory, and — beside them — the Stream client and the sender."""
