// The ROMFS partition of an emulated board, in RAM the firmware does not otherwise use: the
// board's mpconfigboard.mk says where (TINYML_ROMFS_BASE) and how big (TINYML_ROMFS_BYTES,
// board.toml's romfs_bytes). QEMU starts it zeroed (no filesystem); `mpremote romfs deploy`
// writes an image into it.

#include <string.h>

#include "py/mperrno.h"
#include "py/objarray.h"
#include "py/runtime.h"
#include "extmod/vfs.h"

#if MICROPY_VFS_ROM_IOCTL

#if !defined(TINYML_ROMFS_BASE) || !defined(TINYML_ROMFS_BYTES)
#error "the board's mpconfigboard.mk must define TINYML_ROMFS_BASE and TINYML_ROMFS_BYTES"
#endif

#define ROMFS_BASE (TINYML_ROMFS_BASE)
#define ROMFS_BYTES (TINYML_ROMFS_BYTES)

static const MP_DEFINE_MEMORYVIEW_OBJ(romfs_obj, 'B', 0, ROMFS_BYTES, (void *)ROMFS_BASE);

mp_obj_t mp_vfs_rom_ioctl(size_t n_args, const mp_obj_t *args) {
    switch (mp_obj_get_int(args[0])) {
        case MP_VFS_ROM_IOCTL_GET_NUMBER_OF_SEGMENTS:
            return MP_OBJ_NEW_SMALL_INT(1);

        case MP_VFS_ROM_IOCTL_GET_SEGMENT:
            if (n_args < 2 || mp_obj_get_int(args[1]) != 0) {
                return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
            }
            return MP_OBJ_FROM_PTR(&romfs_obj);

        case MP_VFS_ROM_IOCTL_WRITE_PREPARE:
            if (n_args < 3 || mp_obj_get_int(args[2]) > ROMFS_BYTES) {
                return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
            }
            return MP_OBJ_NEW_SMALL_INT(4); // minimum write size

        case MP_VFS_ROM_IOCTL_WRITE: {
            if (n_args < 4) {
                return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
            }
            mp_int_t offset = mp_obj_get_int(args[2]);
            mp_buffer_info_t bufinfo;
            mp_get_buffer_raise(args[3], &bufinfo, MP_BUFFER_READ);
            if (offset < 0 || (size_t)offset > ROMFS_BYTES || bufinfo.len > ROMFS_BYTES - (size_t)offset) {
                return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
            }
            memcpy((uint8_t *)ROMFS_BASE + offset, bufinfo.buf, bufinfo.len);
            return MP_OBJ_NEW_SMALL_INT(0);
        }

        case MP_VFS_ROM_IOCTL_WRITE_COMPLETE:
            return MP_OBJ_NEW_SMALL_INT(0);

        default:
            return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
    }
}

#endif // MICROPY_VFS_ROM_IOCTL
