"""Amplification: offices (groups) repost approved broadcasts on their own channels, confirm it
with the link (SUDAH), and the coordinators above see who did (REKAP) and remind who did not
(INGATKAN). The share kit members receive with a broadcast is made here too (`kit`)."""
