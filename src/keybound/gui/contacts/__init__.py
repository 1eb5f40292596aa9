"""Contacts in the app: invite, add (link, QR image, ``keybound://``), contact page, safety
numbers, emoji verification."""
