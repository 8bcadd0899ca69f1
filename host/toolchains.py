"""Find the toolchains on this machine; never download one, name the command that installs it."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Tool:
    name: str
    program: str
    purpose: str
    install: str


APT = "apt-get install -y"
TOOLS = [
    Tool("gcc", "gcc", "simulator firmware (unix port)", f"{APT} build-essential"),
    Tool("g++", "g++", "TFLM for the simulator", f"{APT} build-essential"),
    Tool("make", "make", "every firmware", f"{APT} make"),
    Tool("git", "git", "host setup", f"{APT} git"),
    Tool("cmake", "cmake", "rp2 and esp32 firmware", f"{APT} cmake"),
    Tool(
        "arm-none-eabi-gcc",
        "arm-none-eabi-gcc",
        "Cortex-M firmware (qemu_m4, qemu_m33, rpi_pico, rpi_pico2)",
        f"{APT} gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib",
    ),
    Tool(
        "arm-none-eabi-g++",
        "arm-none-eabi-g++",
        "TFLM for Cortex-M boards",
        f"{APT} gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib",
    ),
    Tool(
        "arm-none-eabi-nm",
        "arm-none-eabi-nm",
        "firmware size tables",
        f"{APT} binutils-arm-none-eabi",
    ),
    Tool(
        "riscv64-unknown-elf-gcc",
        "riscv64-unknown-elf-gcc",
        "RV32 firmware and TFLM (qemu_rv32)",
        f"{APT} gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf",
    ),
    Tool(
        "riscv64-unknown-elf-g++",
        "riscv64-unknown-elf-g++",
        "TFLM for RV32 (with arm-none-eabi's C++ headers)",
        f"{APT} gcc-riscv64-unknown-elf libstdc++-arm-none-eabi-newlib",
    ),
    Tool("node", "node", "the emulated Pico (rp2040js)", f"{APT} nodejs"),
    Tool("npm", "npm", "installs rp2040js from the npm registry", f"{APT} npm"),
    Tool(
        "qemu-system-arm", "qemu-system-arm", "emulated Cortex-M boards", f"{APT} qemu-system-arm"
    ),
    Tool(
        "qemu-system-riscv32",
        "qemu-system-riscv32",
        "the emulated RV32 board (qemu_rv32)",
        f"{APT} qemu-system-misc",
    ),
    Tool("valgrind", "valgrind", "instruction counts on the simulator", f"{APT} valgrind"),
    Tool("espeak-ng", "espeak-ng", "the keyword recipe's demo dataset", f"{APT} espeak-ng"),
]


def find(program: str, env: dict | None = None) -> str | None:
    """`program` on the PATH of `env` (default: this process's)."""
    return shutil.which(program, path=(env or os.environ).get("PATH"))


def require(program: str, env: dict | None = None) -> str:
    """The path of `program`, or a CommandError naming the command that installs it."""
    from host.errors import CommandError

    path = find(program, env)
    if path:
        return path
    hint = next((tool.install for tool in TOOLS if tool.program == program), None)
    raise CommandError(f"{program} not found" + (f"; install it with: {hint}" if hint else ""))
