// ESP-IDF's microsecond clock, which the ESP-NN kernels of esp-tflite-micro read around each
// call to add up the time spent per operator type. Nothing reads those sums here, and off
// ESP-IDF there is no such clock: it reads 0 (the kernels compute the same).
#ifndef TINYML_ESP_TIMER_H
#define TINYML_ESP_TIMER_H

#include <stdint.h>

static inline int64_t esp_timer_get_time(void) {
    return 0;
}

#endif // TINYML_ESP_TIMER_H
