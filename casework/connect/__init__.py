"""The coordinators' connect-a-phone page: the address as a QR code made on the server,
the certificate's fingerprint in short groups, and how to check it on Android and iOS."""

from casework.connect.views import bp

__all__ = ["bp"]
