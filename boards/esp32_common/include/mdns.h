// A stand-in for the mdns component of espressif/esp-protocols, which MicroPython's esp32 port
// gets from Espressif's component registry (unreachable here). network_wlan.c and modsocket.c
// include mdns.h even when they are compiled out (MICROPY_PY_NETWORK = 0,
// mpconfigtinyml.h): nothing of it is used.
#ifndef TINYML_ESP32_MDNS_H
#define TINYML_ESP32_MDNS_H
#endif
