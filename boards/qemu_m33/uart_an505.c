// The console UART of the mps2-an505: CMSDK UART0, at 0x40200000 on this machine (the port's
// uart.c knows the AN385's at 0x40004000). The registers and their use are the port's.

#include <stdint.h>
#include <stddef.h>

#include "uart.h"

#define UART_STATE_TXFULL (1 << 0)
#define UART_STATE_RXFULL (1 << 1)

#define UART_CTRL_TX_EN (1 << 0)
#define UART_CTRL_RX_EN (1 << 1)

typedef struct _UART_t {
    volatile uint32_t DATA;
    volatile uint32_t STATE;
    volatile uint32_t CTRL;
    volatile uint32_t INTSTATUS;
    volatile uint32_t BAUDDIV;
} UART_t;

#define UART0 ((UART_t *)(0x40200000))

void uart_init(void) {
    UART0->BAUDDIV = 16; // the smallest divider the UART accepts
    UART0->CTRL = UART_CTRL_TX_EN | UART_CTRL_RX_EN;
}

int uart_rx_chr(void) {
    if (!(UART0->STATE & UART_STATE_RXFULL)) {
        return UART_RX_NO_CHAR;
    }
    return UART0->DATA;
}

int uart_rx_any(void) {
    return UART0->STATE & UART_STATE_RXFULL;
}

void uart_tx_strn(const char *buf, size_t len) {
    for (size_t i = 0; i < len; ++i) {
        while (UART0->STATE & UART_STATE_TXFULL) {
        }
        UART0->DATA = buf[i];
    }
}
