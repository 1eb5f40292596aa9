"""The client engine: the asyncio ``Messenger`` facade that the GUI and the CLI drive.

Connection to the relay, durable outbox, inbox, contacts, conversations,
attachments and multi-device sync, on top of store, protocol, identity and token.
"""
