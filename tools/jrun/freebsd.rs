//! FreeBSD (written next).
