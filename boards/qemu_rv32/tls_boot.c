// picolibc keeps errno (which the maths functions TFLM calls may set) in thread-local storage,
// addressed from the tp register, which picolibc's own start-up code would set up. The port
// starts from its own code (mcu/rv32/entrypoint.s), which leaves tp at 0, where a write to
// errno would fault. QEMU starts the machine here (virt_rv32.ld puts .boot first): tp goes to
// the thread-local block the linker script lays out, then the port's start-up code runs.

__attribute__((naked, section(".boot"))) void tinyml_boot(void) {
    __asm volatile (
        "la tp, __tls_base\n"
        "j start\n"
        );
}
