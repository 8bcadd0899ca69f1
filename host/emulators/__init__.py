"""Emulators for the boards that neither QEMU nor the simulator run (rp2040js: the Pico)."""
