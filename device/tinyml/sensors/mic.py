"""An I2S MEMS microphone (INMP441 and alike) at 16 kHz, filled by the I2S callback.

    mic = Mic(0, sck=Pin(26), ws=Pin(25), sd=Pin(33))
    mic.start()
    n = mic.drain(win)          # the samples the callback has collected, into a Window

The microphone sends 24-bit samples in 32-bit slots; the callback keeps the top 16 bits
(typecode "h", scale 1/32768 of full scale) in a ring of `buffer_ms`. Blocks that do not
fit are dropped whole and counted in `overruns`, so the callback only moves the ring's
head and `drain` only its tail: neither has to stop the other.
"""

from array import array

from . import Sensor


class Mic(Sensor):
    typecode = "h"
    unit = "full scale"
    channels = 1
    scale = 1 / 32768

    def __init__(self, i2s_id, *, sck, ws, sd, rate=16000, block=256, buffer_ms=250):
        self.rate = rate
        self._i2s_args = (i2s_id, sck, ws, sd)
        self._block = block
        # 32-bit slots from the bus, seen as pairs of 16-bit words
        self._raw = array("h", bytes(4 * block))
        self._capacity = rate * buffer_ms // 1000
        self._ring = array("h", bytes(2 * self._capacity))
        self._head = 0  # samples written, ever (callback only)
        self._tail = 0  # samples read, ever (drain only)
        self._i2s = None
        self._make_sample()

    def start(self):
        from machine import I2S

        i2s_id, sck, ws, sd = self._i2s_args
        self._i2s = I2S(
            i2s_id,
            sck=sck,
            ws=ws,
            sd=sd,
            mode=I2S.RX,
            bits=32,
            format=I2S.MONO,
            rate=self.rate,
            ibuf=16 * self._block,
        )
        self._i2s.irq(self._on_block)
        self._i2s.readinto(self._raw)  # with irq set, returns at once; the callback follows

    def stop(self):
        if self._i2s is not None:
            self._i2s.deinit()
            self._i2s = None

    def _on_block(self, i2s):
        raw16 = self._raw
        count = self._block
        if self._head - self._tail + count > self._capacity:
            self.overruns += count
        else:
            ring = self._ring
            capacity = self._capacity
            i = self._head % capacity
            for k in range(count):
                # Little-endian 32-bit slot: its high half is the 16-bit word at 2k + 1.
                ring[i] = raw16[2 * k + 1]
                i += 1
                if i == capacity:
                    i = 0
            self._head += count
        i2s.readinto(self._raw)

    def available(self):
        return self._head - self._tail

    def read_into(self, sample):
        """The oldest collected sample (blocks of the ring are read in order)."""
        if self._head == self._tail:
            raise OSError("Mic: no sample collected yet; call start() and wait for available()")
        sample[0] = self._ring[self._tail % self._capacity]
        self._tail += 1

    def drain(self, window):
        n = min(self._head - self._tail, window.until_due())
        start = self._tail % self._capacity
        first = min(n, self._capacity - start)
        taken = window.extend(self._ring, start, first)
        if taken == first and n > first:
            taken += window.extend(self._ring, 0, n - first)
        self._tail += taken
        return taken
