"""The wizard's states, one page each (Nheko's DeviceVerificationFlow: an explicit enum).

Part 2 of the app adds pages by adding states; the controller in ``wizard``
decides every transition, the pages only show and collect.
"""

from __future__ import annotations

import enum


class WizardState(enum.Enum):
    WELCOME = "welcome"  # what will happen
    CHOOSE_TOKEN = "choose_token"  # the live list of plugged-in tokens
    RELAY = "relay"  # the relay's wss:// address
    TRUST_RELAY = "trust_relay"  # a self-signed relay: its fingerprint, trust it or not
    JOIN_OFFER = "join_offer"  # this key already has an account: add this computer
    NAME = "name"  # the person's name, for a new account
    NEW_PIN = "new_pin"  # a blank token: new PIN twice (and admin PIN for OpenPGP)
    EXISTING_PIN = "existing_pin"  # a token with keys: its PIN (adopt or join)
    WORKING = "working"  # creating or joining, with progress and touch prompts
    RESTORE = "restore"  # joined: the history from a backup file (passphrase or the key)
    RECOVERY_CODE = "recovery_code"  # shown once, in groups; save as file, print
    CONFIRM_CODE = "confirm_code"  # retype two groups it names


class Purpose(enum.Enum):
    """What the wizard is making."""

    CREATE = "create"  # a new identity (blank token set up, or one with keys adopted)
    JOIN = "join"  # a new device of the identity the token already belongs to
