// The qemu port's configuration with a ROMFS partition that `vfs.rom_ioctl` can write, so
// models reach the emulated board with `mpremote romfs deploy` as they reach a real one.
#include <mpconfigport.h>

#undef MICROPY_VFS_ROM_IOCTL
#define MICROPY_VFS_ROM_IOCTL (1)
