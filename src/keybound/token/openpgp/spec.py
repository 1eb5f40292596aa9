"""Numbers from the OpenPGP card specification 3.4 that both sides need.

The backend (``card``) and the virtual card (``sim.openpgp_applet``) import
them from here, so a tag or status word is written down exactly once.
"""

from __future__ import annotations

import enum

# SELECT by RID (FSFE, D2 76 00 01 24) + application 01: matches every version.
RID_PIX = bytes.fromhex("D27600012401")
VERSION_3_4 = bytes.fromhex("0304")
TEST_MANUFACTURER = bytes.fromhex("FFFF")  # reserved for test cards

# Algorithm attributes (C1/C2/C3): algorithm ID followed by the curve OID.
OID_ED25519 = bytes.fromhex("2B06010401DA470F01")
OID_CURVE25519 = bytes.fromhex("2B060104019755010501")
ALGO_RSA = 0x01
ALGO_ECDH = 0x12
ALGO_EDDSA = 0x16
ATTR_ED25519 = bytes((ALGO_EDDSA,)) + OID_ED25519
ATTR_X25519 = bytes((ALGO_ECDH,)) + OID_CURVE25519
IMPORT_FORMAT_WITH_PUBLIC = 0xFF  # optional trailing byte of ECC attributes

DEFAULT_PW1 = "123456"
DEFAULT_PW3 = "12345678"
MIN_PW1 = 6
MIN_PW3 = 8
MAX_PIN = 127
PIN_TRIES = 3


class Ins(enum.IntEnum):
    VERIFY = 0x20
    CHANGE_REFERENCE_DATA = 0x24
    RESET_RETRY_COUNTER = 0x2C
    PSO = 0x2A
    GENERATE_ASYMMETRIC_KEY_PAIR = 0x47
    ACTIVATE_FILE = 0x44
    INTERNAL_AUTHENTICATE = 0x88
    GET_RESPONSE = 0xC0
    GET_DATA = 0xCA
    PUT_DATA = 0xDA
    TERMINATE_DF = 0xE6


class PwRef(enum.IntEnum):
    """P2 of VERIFY / CHANGE REFERENCE DATA."""

    PW1_SIGN = 0x81  # PW1 for PSO:CDS
    PW1_OTHER = 0x82  # PW1 for PSO:DECIPHER, INTERNAL AUTHENTICATE
    PW3 = 0x83  # admin


class KeyRef(enum.IntEnum):
    """Control reference templates naming a key (GENERATE, key information)."""

    SIG = 0xB6
    DEC = 0xB8
    AUT = 0xA4


PSO_CDS = 0x9E9A
PSO_DECIPHER = 0x8086
GENERATE = 0x80
READ_PUBLIC_KEY = 0x81
RRC_BY_ADMIN = 0x02


class Tag(enum.IntEnum):
    AID = 0x4F
    NAME = 0x5B
    LOGIN = 0x5E
    LANGUAGE = 0x5F2D
    SEX = 0x5F35
    URL = 0x5F50
    HISTORICAL = 0x5F52
    CARDHOLDER = 0x65
    APPLICATION = 0x6E
    DISCRETIONARY = 0x73
    SECURITY_SUPPORT = 0x7A
    SIGNATURE_COUNTER = 0x93
    EXTENDED_CAPABILITIES = 0xC0
    ATTR_SIG = 0xC1
    ATTR_DEC = 0xC2
    ATTR_AUT = 0xC3
    PW_STATUS = 0xC4
    FINGERPRINTS = 0xC5
    CA_FINGERPRINTS = 0xC6
    FPR_SIG = 0xC7
    FPR_DEC = 0xC8
    FPR_AUT = 0xC9
    CA_FPR_1 = 0xCA
    CA_FPR_2 = 0xCB
    CA_FPR_3 = 0xCC
    TIMESTAMPS = 0xCD
    TIME_SIG = 0xCE
    TIME_DEC = 0xCF
    TIME_AUT = 0xD0
    KEY_INFORMATION = 0xDE
    PUBLIC_KEY = 0x7F49
    ECC_POINT = 0x86
    CIPHER = 0xA6
    EXTENDED_LENGTH = 0x7F66
    GENERAL_FEATURES = 0x7F74


class Sw(enum.IntEnum):
    OK = 0x9000
    TERMINATED = 0x6285
    WRONG_LENGTH = 0x6700
    LAST_OF_CHAIN_EXPECTED = 0x6883
    SECURITY_STATUS = 0x6982
    AUTH_BLOCKED = 0x6983
    CONDITIONS = 0x6985
    WRONG_DATA = 0x6A80
    FILE_NOT_FOUND = 0x6A82
    DATA_NOT_FOUND = 0x6A88
    WRONG_P1P2 = 0x6B00
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00


def pw_status_retries(pw_status: bytes) -> tuple[int, int, int]:
    """(PW1, resetting code, PW3) tries left from the 7 PW status bytes (C4)."""
    if len(pw_status) < 7:
        raise ValueError("PW status bytes too short")
    return pw_status[4], pw_status[5], pw_status[6]
