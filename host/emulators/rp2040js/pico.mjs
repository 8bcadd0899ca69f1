// Runs a MicroPython RP2040 firmware (a .uf2) in the rp2040js emulator and serves its USB CDC
// serial port on a TCP port, so that `mpremote connect socket://127.0.0.1:PORT ...` talks to it
// exactly as to a Pico on /dev/ttyACM0.
//
//   node pico.mjs --uf2 firmware.uf2 --flash flash.img --bootrom <rp2040js>/demo/bootrom.ts \
//                 --port 0 [--npm-prefix DIR] [--no-throttle] [--exit-on-stdin-eof] [--verbose]
//                 [--data RECORDING] [--pulses PIN:HZ:COUNT:READY]
//
// What stock rp2040js lacks, and what this script adds around it:
// - Flash writes. rp2040js does not emulate the flash chip's SSI commands, so erase/program are
//   dropped and littlefs (/) and ROMFS (`mpremote romfs deploy`) cannot be written. The pico-sdk
//   erases and programs through boot ROM functions it looks up by two-letter code; we patch a
//   breakpoint over the first instruction of each of those functions in our copy of the ROM and
//   do the work on the emulated flash array in the core's onBreak hook, then return to LR.
// - Persistence. The first 2 MiB of flash is the file --flash. It is loaded at start (if it
//   exists), the UF2 is written over the sectors it covers and the whole image saved, and then
//   every erase and program is written through to the file as it happens, so a kill -9 loses
//   nothing the firmware finished writing.
// - USB flow control. rp2040js's USBCDC keeps host->device bytes in a 512-byte FIFO that drops
//   the rest, and answers each OUT poll at once, with zero bytes when it has none. We keep our own
//   queue and answer an OUT poll only when there is data for it, as a real host does; the TCP
//   socket is paused while the queue is long.
// - Reset. A watchdog reset (machine.reset(), mpremote reset, tinyml's deep sleep) only logs a
//   warning in rp2040js. We build a new chip that keeps the flash, the watchdog scratch
//   registers 0-3 and the watchdog's REASON register (machine.reset_cause() == WDT_RESET), and
//   boot it; the TCP client stays connected. machine.bootloader() reboots the same way.
// - Time. The emulator's clock is virtual. While the core sleeps (WFI/WFE) we let it advance no
//   faster than wall time (so time.sleep(1) takes a second and an idle REPL does not burn a
//   core); while it computes it runs as fast as it can, some 15-40 M instructions per second
//   (about 1/8 to 1/3 of a 125 MHz Pico) depending on the machine: virtual time then lags wall
//   time, and catches up at the next idle moment. --no-throttle lets idle time race ahead.
//
// - Sensors. With --data, a recording (CSV or WAV) is played into an emulated MPU6050 on I2C0
//   or into ADC input 0, in emulated time, for the firmware's real drivers (see "Sensors").
//
// - Pulses. With --pulses, COUNT rising edges at HZ are driven into GPIO PIN, in emulated time,
//   from the moment the firmware drives GPIO READY high (so a script arms its interrupt first);
//   `pulses driven N` is printed on stdout when they are done. For interrupts under load.
//
// Only core 0 is emulated (rp2040js has one core): _thread and anything using core 1 hangs.
// Stdout carries lines for the caller: `listening on 127.0.0.1:PORT` once the port is open,
// then `usb serial up` once the firmware's USB CDC port is enumerated and configured, and with
// --data `recording ended` when the recording is over. Logs go to stderr.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    uf2: { type: 'string' },
    flash: { type: 'string' },
    bootrom: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    // The folder where `npm ci` installed this folder's package.json (it has node_modules/).
    'npm-prefix': { type: 'string' },
    'no-throttle': { type: 'boolean', default: false },
    // Exit when stdin closes: the parent passes a pipe, so the emulator dies with it.
    'exit-on-stdin-eof': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    // A recording the emulated sensors play (see "Sensors" below).
    data: { type: 'string' },
    // PIN:HZ:COUNT:READY, see "Pulses" above.
    pulses: { type: 'string' },
  },
});
for (const required of ['uf2', 'flash', 'bootrom']) {
  if (!args[required]) {
    fail(`--${required} is required`);
  }
}

// rp2040js lives in the cache, not next to this script: load it from --npm-prefix.
const npmPrefix = path.resolve(args['npm-prefix'] ?? path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(path.join(npmPrefix, 'package.json'));
const { RP2040, USBCDC, ConsoleLogger, LogLevel, I2CMode } = require('rp2040js');

const FLASH_BASE = 0x10000000;
const FLASH_SIZE = 2 * 1024 * 1024; // the Pico's W25Q16 (PICO_FLASH_SIZE_BYTES)
const SECTOR = 4096;
const CYCLE_NANOS = 1e9 / 125e6; // rp2040js counts cycles at 125 MHz
const SOCKET_HIGH_WATER = 64 * 1024;

const t0 = performance.now();
const log = (msg) => process.stderr.write(`[pico ${((performance.now() - t0) / 1000).toFixed(2)}s] ${msg}\n`);
function fail(msg) {
  process.stderr.write(`pico.mjs: ${msg}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Boot ROM: rp2040js's demo/bootrom.ts holds it as `new Uint32Array([0x..., ...])`.

function readBootrom(file) {
  const text = fs.readFileSync(file, 'utf8');
  const start = text.indexOf('Uint32Array([');
  if (start < 0) fail(`${file}: no Uint32Array([...]) in it`);
  const words = text.slice(start, text.indexOf(']', start)).match(/0x[0-9a-fA-F]+/g) ?? [];
  if (words.length !== 4096) fail(`${file}: expected 4096 words, found ${words.length}`);
  return Uint32Array.from(words, (w) => parseInt(w, 16));
}

// The ROM functions the pico-sdk's hardware_flash calls (rom_func_lookup codes), and the one
// behind machine.bootloader(). Each gets `BKPT #imm` at its entry; onBreak dispatches on imm.
const TRAPS = [
  { code: 'IF', name: 'connect_internal_flash' },
  { code: 'EX', name: 'flash_exit_xip' },
  { code: 'RE', name: 'flash_range_erase' },
  { code: 'RP', name: 'flash_range_program' },
  { code: 'FC', name: 'flash_flush_cache' },
  { code: 'CX', name: 'flash_enter_cmd_xip' },
  { code: 'UB', name: 'reset_to_usb_boot' },
];
const TRAP_BASE = 0x40; // BKPT immediates 0x40.. (the ROM's own debug trampoline uses BKPT #0)

function patchBootrom(words) {
  const rom = new Uint32Array(words); // a copy: the file stays as it is
  const view = new DataView(rom.buffer);
  // Bootrom header: 0x14 = halfword pointer to the function table of (code, address) halfword
  // pairs ending with code 0; codes are 'X' | 'Y' << 8.
  const table = view.getUint16(0x14, true);
  const found = new Map();
  for (let p = table; view.getUint16(p, true) !== 0; p += 4) {
    const code = view.getUint16(p, true);
    found.set(String.fromCharCode(code & 0xff, code >> 8), view.getUint16(p + 2, true) & ~1);
  }
  TRAPS.forEach((trap, i) => {
    const addr = found.get(trap.code);
    if (addr === undefined) fail(`boot ROM has no function '${trap.code}' (${trap.name})`);
    view.setUint16(addr, 0xbe00 | (TRAP_BASE + i), true); // BKPT #(TRAP_BASE + i)
  });
  return rom;
}

// ---------------------------------------------------------------------------------------------
// Flash image and UF2.

function loadFlash(file) {
  const image = new Uint8Array(FLASH_SIZE).fill(0xff);
  if (fs.existsSync(file)) {
    const data = fs.readFileSync(file);
    if (data.length !== FLASH_SIZE) log(`warning: ${file} is ${data.length} bytes, not ${FLASH_SIZE}`);
    image.set(data.subarray(0, FLASH_SIZE));
    log(`flash image ${file} loaded`);
  } else {
    log(`flash image ${file} absent: flash starts erased`);
  }
  return image;
}

// Writes the UF2's blocks over `image` as the boot ROM's drag-and-drop does: each 4 KiB sector
// a block touches is erased first, so stale bytes of an older firmware in those sectors go, and
// the rest of the flash (littlefs, ROMFS) stays.
function writeUF2(file, image) {
  const uf2 = fs.readFileSync(file);
  const blocks = [];
  for (let off = 0; off + 512 <= uf2.length; off += 512) {
    const b = new DataView(uf2.buffer, uf2.byteOffset + off, 512);
    if (b.getUint32(0, true) !== 0x0a324655 || b.getUint32(4, true) !== 0x9e5d5157) continue;
    if (b.getUint32(8, true) & 0x1) continue; // "not main flash"
    const target = b.getUint32(12, true);
    const size = b.getUint32(16, true);
    if (target < FLASH_BASE || target + size > FLASH_BASE + FLASH_SIZE) continue;
    blocks.push({ offset: target - FLASH_BASE, payload: uf2.subarray(off + 32, off + 32 + size) });
  }
  if (!blocks.length) fail(`${file}: no UF2 blocks for the RP2040's flash`);
  const sectors = new Set(blocks.map((b) => Math.floor(b.offset / SECTOR)));
  for (const s of sectors) image.fill(0xff, s * SECTOR, (s + 1) * SECTOR);
  let end = 0;
  for (const { offset, payload } of blocks) {
    image.set(payload, offset);
    end = Math.max(end, offset + payload.length);
  }
  log(`${path.basename(file)}: ${blocks.length} blocks, firmware ends at 0x${end.toString(16)}`);
}

let flash = loadFlash(args.flash); // the 2 MiB that persist; the chip's flash array views it
writeUF2(args.uf2, flash);

// Write-through: each erase or program is written to the image file at once (a pwrite of the
// sectors or bytes it changed), so a kill -9 loses nothing the firmware finished writing.
function saveWholeImage() {
  const tmp = `${args.flash}.tmp`;
  fs.writeFileSync(tmp, flash);
  fs.renameSync(tmp, args.flash);
}
saveWholeImage(); // the image now holds this firmware, even before any flash write
const flashFd = fs.openSync(args.flash, 'r+');
function flashWritten(offset, count) {
  fs.writeSync(flashFd, flash, offset, count, offset);
}

// ---------------------------------------------------------------------------------------------
// The chip. A new one per (watchdog) reset.

const bootrom = patchBootrom(readBootrom(args.bootrom));
let mcu = null;
let resetPending = null; // set by the watchdog or a trap; the run loop builds a new chip
let stopped = null; // a fatal reason: the run loop stops
let boots = 0;
let instructions = 0;

function makeChip(keep) {
  const chip = new RP2040();
  chip.logger = new ConsoleLogger(args.verbose ? LogLevel.Warn : LogLevel.Error);
  chip.loadBootrom(bootrom); // resets the chip, which fills its flash with 0xFF...
  chip.flash.set(flash); // ...so the image goes in afterwards
  flash = chip.flash.subarray(0, FLASH_SIZE); // from now on the chip writes the image directly
  const watchdog = chip.peripherals[0x40058];
  if (keep) {
    // Scratch registers survive a watchdog reset on the real chip (tinyml keeps its deep-sleep
    // wake state in 0-3); 4-7 are the boot ROM's reboot vector, which we do not emulate.
    watchdog.scratchData.set(keep.scratch.subarray(0, 4));
    watchdog.reason = keep.reason; // WATCHDOG REASON: what machine.reset_cause() reads
  }
  watchdog.onWatchdogTrigger = () => {
    resetPending = { why: 'watchdog', scratch: Uint32Array.from(watchdog.scratchData), reason: watchdog.reason };
  };
  chip.onBreak = (imm) => onBreak(chip, imm);
  chip.core.PC = FLASH_BASE; // boot2, as the boot ROM would after finding it valid
  return chip;
}

function onBreak(chip, imm) {
  const { core } = chip;
  const trap = TRAPS[imm - TRAP_BASE];
  const r = core.registers;
  if (!trap) {
    // The SDK's panic() and exit() end in a breakpoint: the firmware is dead.
    stopped = `firmware hit BKPT #${imm} at 0x${((core.PC - 2) >>> 0).toString(16)} (panic or exit)`;
    return;
  }
  switch (trap.code) {
    case 'RE': {
      // flash_range_erase(uint32_t offset, size_t count, uint32_t block_size, uint8_t cmd)
      const [offset, count] = [r[0] >>> 0, r[1] >>> 0];
      if (offset % SECTOR || count % SECTOR || offset + count > FLASH_SIZE) {
        log(`flash_range_erase(0x${offset.toString(16)}, ${count}): bad range, ignored`);
        break;
      }
      chip.flash.fill(0xff, offset, offset + count);
      if (args.verbose) log(`erase 0x${offset.toString(16)} +${count}`);
      flashWritten(offset, count);
      break;
    }
    case 'RP': {
      // flash_range_program(uint32_t offset, const uint8_t *data, size_t count): NOR flash
      // programming can only clear bits, hence the AND.
      const [offset, data, count] = [r[0] >>> 0, r[1] >>> 0, r[2] >>> 0];
      if (offset + count > FLASH_SIZE) {
        log(`flash_range_program(0x${offset.toString(16)}, ${count}): bad range, ignored`);
        break;
      }
      for (let i = 0; i < count; i++) chip.flash[offset + i] &= chip.readUint8(data + i);
      if (args.verbose) log(`program 0x${offset.toString(16)} +${count}`);
      flashWritten(offset, count);
      break;
    }
    case 'UB':
      // machine.bootloader(): there is no USB mass-storage boot ROM here; reboot instead.
      log('reset_to_usb_boot: not emulated, rebooting the firmware instead');
      resetPending = { why: 'bootloader', scratch: new Uint32Array(8), reason: 0 };
      break;
    default:
      // connect_internal_flash, flash_exit_xip, flash_flush_cache, flash_enter_cmd_xip: only
      // pad/SSI/XIP-cache set-up, which has nothing to do on rp2040js's flash array.
      break;
  }
  core.PC = core.LR & ~1; // return from the ROM function
}

// ---------------------------------------------------------------------------------------------
// USB CDC <-> TCP bridge.

let client = null; // the one connected socket
const toDevice = []; // queued host->device chunks (Uint8Array)
let toDeviceBytes = 0;
let pendingRead = null; // {endpoint, size}: an OUT transfer the device has armed
let serialUp = false;

function attachCDC(chip) {
  const usb = chip.usbCtrl;
  const c = new USBCDC(usb); // enumerates the device as a host would, raises DTR
  c.onDeviceConnected = () => {
    // The host has configured the device and raised DTR: the firmware's REPL reads from here
    // on (it prints no banner until the host sends something, as on a real Pico).
    log(`usb cdc configured (boot ${boots})`);
    if (!serialUp) {
      serialUp = true;
      log(`usb serial up after ${((performance.now() - t0) / 1000).toFixed(2)} s wall`);
      process.stdout.write('usb serial up\n');
    }
  };
  c.onSerialData = (bytes) => {
    if (client && !client.destroyed) client.write(Buffer.from(bytes));
  };
  // Replace USBCDC's OUT handler: answer only when we have bytes (see the header).
  usb.onEndpointRead = (endpoint, size) => {
    if (endpoint !== c.outEndpoint) return;
    pendingRead = { endpoint, size };
    feedDevice();
  };
  pendingRead = null;
  return c;
}

function feedDevice() {
  if (!pendingRead || toDeviceBytes === 0) return;
  const { endpoint, size } = pendingRead;
  pendingRead = null;
  const out = new Uint8Array(Math.min(size, toDeviceBytes));
  let filled = 0;
  while (filled < out.length) {
    const head = toDevice[0];
    const n = Math.min(head.length, out.length - filled);
    out.set(head.subarray(0, n), filled);
    filled += n;
    if (n === head.length) toDevice.shift();
    else toDevice[0] = head.subarray(n);
  }
  toDeviceBytes -= filled;
  mcu.usbCtrl.endpointReadDone(endpoint, out);
  if (client && client.isPaused() && toDeviceBytes < SOCKET_HIGH_WATER / 2) client.resume();
  wake();
}

const server = net.createServer((socket) => {
  if (client) {
    log('new client replaces the previous one');
    client.destroy();
  }
  client = socket;
  socket.setNoDelay(true);
  if (args.verbose) log('client connected');
  socket.on('data', (chunk) => {
    toDevice.push(new Uint8Array(chunk));
    toDeviceBytes += chunk.length;
    if (toDeviceBytes > SOCKET_HIGH_WATER) socket.pause();
    feedDevice();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    if (client === socket) client = null;
    if (args.verbose) log('client disconnected');
  });
});

// ---------------------------------------------------------------------------------------------
// Sensors (--data FILE): a recording played into emulated peripherals, so the firmware's real
// drivers read it, at the recording's rate in emulated time (the chip's clock, not wall time).
//
// - CSV t,x,y,z (g): an MPU6050 at I2C0 address 0x68 (the rpi_pico board's wiring: SDA GP4,
//   SCL GP5, INT GP6), with the registers tinyml.sensors.mpu6050 uses.
// - CSV t,knob (fraction of full scale, 0..1) or a 16-bit mono PCM WAV (centred at mid-scale,
//   as an analog sensor's output): ADC input 0 (GP26), 12-bit.
// The recording starts when the firmware first uses the sensor (wakes the MPU6050, converts
// ADC input 0) and goes on through chip resets, as the world does outside a board. When it
// ends (the IMU: at its last sample's end; the ADC: at the first conversion past it) the chip
// is frozen and stdout says `recording ended`: there is nothing more to sense, and the caller
// (host run) ends the script there, as the simulator does at a replay's end (EOFError).

const ADC_MAX = 4095; // 12-bit
const MPU_ADDRESS = 0x68;
const PIN_SDA = 4;
const PIN_SCL = 5;
const PIN_INT = 6;

// The 12-bit code whose read_u16() (MicroPython scales 12 bits to 16 as c << 4 | c >> 8) is
// nearest `u16`, a value in read_u16()'s 0..65535: the firmware reads what was recorded, to
// the ADC's resolution.
function adcCode(value) {
  const u16 = Math.min(Math.max(value, 0), 65535);
  const scaled = (c) => (c << 4) | (c >> 8);
  const guess = Math.floor((u16 * ADC_MAX) / 65535);
  let best = 0;
  for (let c = Math.max(guess - 1, 0); c <= Math.min(guess + 2, ADC_MAX); c++) {
    if (Math.abs(scaled(c) - u16) < Math.abs(scaled(best) - u16)) best = c;
  }
  return best;
}

function loadRecording(file) {
  let bytes;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    fail(`--data ${file}: ${e.message}`);
  }
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' &&
      bytes.toString('latin1', 8, 12) === 'WAVE') {
    return loadWav(file, bytes);
  }
  if (/\.csv$/i.test(file)) return loadCsv(file, bytes.toString('utf8'));
  fail(`--data ${file}: not a recording this emulator plays: a CSV with columns t,x,y,z (an` +
       ` MPU6050, in g) or t,knob (ADC input 0, 0..1), or a 16-bit PCM WAV (ADC input 0)`);
}

function loadCsv(file, text) {
  let columns = null;
  let time = -1;
  const times = [];
  const values = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line[0] === '#') return;
    const fields = line.split(',').map((f) => f.trim());
    if (!columns) {
      columns = fields;
      time = columns.findIndex((c) => c === 't' || c === 'time');
      return;
    }
    if (fields.length !== columns.length) {
      fail(`--data ${file} line ${i + 1}: ${fields.length} fields, the header has ${columns.length}`);
    }
    const numbers = fields.map(Number);
    const bad = fields.findIndex((f, k) => f === '' || Number.isNaN(numbers[k]));
    if (bad >= 0) fail(`--data ${file} line ${i + 1}: '${fields[bad]}' is not a number`);
    if (times.length < 2) times.push(numbers[time]);
    values.push(...numbers.filter((_, k) => k !== time));
  });
  const channels = (columns ?? []).filter((_, k) => k !== time);
  const kind = time < 0 ? null : channels.join(',') === 'x,y,z' ? 'imu' : channels.join(',') === 'knob' ? 'adc' : null;
  if (!kind) {
    fail(`--data ${file}: columns ${JSON.stringify((columns ?? []).join(','))}; this emulator plays` +
         ` t,x,y,z (an MPU6050, in g) or t,knob (ADC input 0, 0..1)`);
  }
  if (times.length < 2 || !(times[1] > times[0])) fail(`--data ${file}: needs two rows or more, t rising`);
  const rate = Math.round(1 / (times[1] - times[0]));
  if (kind === 'imu') return { kind, rate, channels: 3, samples: Float64Array.from(values) };
  // The knob's position as a fraction of full scale, 0..1: as read_u16() reports it / 65535.
  return { kind, rate, channels: 1, samples: Uint16Array.from(values, (v) => adcCode(v * 65535)) };
}

function loadWav(file, bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let fmt = null;
  for (let pos = 12; pos + 8 <= bytes.length;) {
    const id = bytes.toString('latin1', pos, pos + 4);
    const size = view.getUint32(pos + 4, true);
    if (id === 'fmt ') {
      fmt = { format: view.getUint16(pos + 8, true), channels: view.getUint16(pos + 10, true),
              rate: view.getUint32(pos + 12, true), bits: view.getUint16(pos + 22, true) };
    } else if (id === 'data') {
      if (!fmt) fail(`--data ${file}: data chunk before fmt`);
      if (fmt.format !== 1 || fmt.bits !== 16 || fmt.channels !== 1) {
        fail(`--data ${file}: the ADC plays 16-bit mono PCM WAV, not format ${fmt.format},` +
             ` ${fmt.bits} bits, ${fmt.channels} channels`);
      }
      const n = Math.floor(Math.min(size, bytes.length - pos - 8) / 2);
      // Signed samples centred at mid-scale, as an analog sensor's output reaches the ADC
      // (read_u16() = sample + 32768, as the simulator's replay of a WAV as ADC counts).
      const counts = new Uint16Array(n);
      for (let i = 0; i < n; i++) counts[i] = adcCode(view.getInt16(pos + 8 + 2 * i, true) + 32768);
      return { kind: 'adc', rate: fmt.rate, channels: 1, samples: counts };
    }
    pos += 8 + size + (size & 1);
  }
  fail(`--data ${file}: no data chunk`);
}

// Emulated time that goes on across chip resets (each new chip's clock starts at 0).
let worldBase = 0;
const worldNanos = () => worldBase + mcu.clock.nanos;

// An alarm in world time: rp2040js alarms belong to one chip, so each is armed again on the
// chip that replaces it after a reset.
const worldTimers = new Set();
class WorldTimer {
  constructor(fn) {
    this.fn = fn;
    this.due = null;
    this.alarm = null;
    this.chip = null;
    worldTimers.add(this);
  }

  at(due) {
    this.due = due;
    this.arm();
  }

  cancel() {
    this.due = null;
    this.alarm?.cancel();
  }

  arm() {
    if (this.chip !== mcu) {
      this.chip = mcu;
      this.alarm = mcu.clock.createAlarm(() => {
        this.due = null;
        this.fn();
      });
    }
    this.alarm.cancel();
    if (this.due !== null) this.alarm.schedule(Math.max(0, this.due - worldNanos()));
  }
}

class Recording {
  constructor(rec) {
    Object.assign(this, rec);
    this.count = rec.samples.length / rec.channels;
    this.start = null; // world nanos of sample 0: set when the firmware first uses the sensor
    this.end = new WorldTimer(() => this.finish());
  }

  begin() {
    if (this.start !== null) return;
    this.start = worldNanos();
    log(`recording starts: ${this.count} samples at ${this.rate} Hz`);
    // An IMU samples on its own: the recording is over at its last sample's end. An ADC is
    // sampled by the firmware: it is over when the firmware asks past the end (as a replay
    // on the simulator raises EOFError), which ended() tells attachADC.
    if (this.kind === 'imu') this.end.at(this.start + (this.count * 1e9) / this.rate);
  }

  ended(t) {
    return this.start !== null && Math.floor(((t - this.start) * this.rate) / 1e9 + 1e-6) >= this.count;
  }

  finish() {
    frozen = `recording ended: ${this.count} samples at ${this.rate} Hz played`;
  }

  // The sample index at world time `t`: the last one recorded by then.
  index(t) {
    const i = Math.floor(((t - this.start) * this.rate) / 1e9 + 1e-6);
    return Math.min(Math.max(i, 0), this.count - 1);
  }
}

// MPU6050 registers (tinyml.sensors.mpu6050 uses these and no others).
const R = {
  SMPLRT_DIV: 0x19, CONFIG: 0x1a, GYRO_CONFIG: 0x1b, ACCEL_CONFIG: 0x1c, MOT_THR: 0x1f,
  MOT_DUR: 0x20, FIFO_EN: 0x23, INT_PIN_CFG: 0x37, INT_ENABLE: 0x38, INT_STATUS: 0x3a,
  ACCEL_XOUT_H: 0x3b, USER_CTRL: 0x6a, PWR_MGMT_1: 0x6b, FIFO_COUNTH: 0x72, FIFO_COUNTL: 0x73,
  FIFO_R_W: 0x74, WHO_AM_I: 0x75,
};
const INT_DATA_RDY = 0x01;
const INT_FIFO_OFLOW = 0x10;
const INT_MOTION = 0x40;
const FIFO_BYTES = 1024;
const INT_PULSE_NANOS = 50e3; // a non-latched INT is a 50 us pulse

class MPU6050 {
  constructor(recording) {
    this.rec = recording;
    this.regs = new Uint8Array(128);
    this.fifo = new Uint8Array(FIFO_BYTES);
    this.tick = new WorldTimer(() => this.sample());
    this.pulseEnd = new WorldTimer(() => this.setPin(false));
    this.reset();
  }

  reset() {
    this.regs.fill(0);
    this.regs[R.PWR_MGMT_1] = 0x40; // asleep
    this.regs[R.WHO_AM_I] = 0x68;
    this.data = new Uint8Array(14); // ACCEL_XOUT_H..GYRO_ZOUT_L
    this.pointer = 0;
    this.fifoHead = 0;
    this.fifoCount = 0;
    this.lastFifoByte = 0;
    this.status = 0;
    this.baseline = null;
    this.over = 0;
    this.tick.cancel();
    this.pulseEnd.cancel();
    this.asserted = false;
    this.updatePin();
  }

  get awake() {
    return !(this.regs[R.PWR_MGMT_1] & 0x40);
  }

  // CONFIG's DLPF_CFG 1-6 makes the internal rate 1 kHz, 0 and 7 8 kHz; SMPLRT_DIV divides it.
  get periodNanos() {
    const dlpf = this.regs[R.CONFIG] & 7;
    return (1e9 * (1 + this.regs[R.SMPLRT_DIV])) / (dlpf === 0 || dlpf === 7 ? 8000 : 1000);
  }

  get countsPerG() {
    return 16384 >> ((this.regs[R.ACCEL_CONFIG] >> 3) & 3);
  }

  // The next sample instant on the grid that starts at the wake-up, at the current rate.
  schedule() {
    const p = this.periodNanos;
    const k = Math.floor((worldNanos() - this.gridStart) / p + 1e-6) + 1;
    this.tick.at(this.gridStart + k * p);
  }

  sample() {
    const t = worldNanos();
    const rec = this.rec;
    const i = rec.index(t) * 3;
    const perG = this.countsPerG;
    const counts = [0, 1, 2].map((c) => Math.min(Math.max(Math.round(rec.samples[i + c] * perG), -32768), 32767));
    const d = new DataView(this.data.buffer);
    counts.forEach((v, c) => d.setInt16(2 * c, v));
    d.setInt16(6, Math.round((25 - 36.53) * 340)); // TEMP_OUT: 25 C; gyro stays 0 (at rest)
    let events = INT_DATA_RDY;
    // FIFO_EN: accelerometer (0x08) then gyro X/Y/Z (0x40/0x20/0x10), in register order.
    const fifoEn = this.regs[R.FIFO_EN];
    if (this.regs[R.USER_CTRL] & 0x40) {
      if (fifoEn & 0x08) events |= this.push(this.data, 0, 6);
      for (const [bit, at] of [[0x40, 8], [0x20, 10], [0x10, 12]]) {
        if (fifoEn & bit) events |= this.push(this.data, at, 2);
      }
    }
    if (this.motion(counts, perG)) events |= INT_MOTION;
    this.raise(events);
    this.schedule();
  }

  // Motion detection: ACCEL_CONFIG's high-pass filter (ACCEL_HPF != 0) as a running mean of
  // 1/16 per sample taken away from each axis; a sample moves when any axis is off by more than
  // MOT_THR (2 mg per count, as the driver counts it) and MOT_DUR ms of samples in a row did.
  motion(counts, perG) {
    const g = counts.map((v) => v / perG); // in g, so that a change of range moves nothing
    if (!this.baseline) {
      this.baseline = g;
      return false;
    }
    // Without the filter the chip compares the raw reading (gravity included) with 0.
    const filtered = this.regs[R.ACCEL_CONFIG] & 7;
    const limit = this.regs[R.MOT_THR] * 0.002;
    let moved = false;
    g.forEach((v, c) => {
      if (Math.abs(v - (filtered ? this.baseline[c] : 0)) > limit) moved = true;
      this.baseline[c] += (v - this.baseline[c]) / 16;
    });
    this.over = moved ? this.over + 1 : 0;
    const run = Math.max(1, Math.ceil((this.regs[R.MOT_DUR] * 1e6) / this.periodNanos - 1e-6));
    return this.regs[R.MOT_THR] > 0 && this.over >= run;
  }

  // Append to the 1024-byte FIFO; when full, the oldest bytes go (so frames lose alignment).
  push(bytes, at, n) {
    let overflow = 0;
    for (let k = 0; k < n; k++) {
      if (this.fifoCount === FIFO_BYTES) {
        this.fifoHead = (this.fifoHead + 1) % FIFO_BYTES;
        this.fifoCount--;
        overflow = INT_FIFO_OFLOW;
      }
      this.fifo[(this.fifoHead + this.fifoCount) % FIFO_BYTES] = bytes[at + k];
      this.fifoCount++;
    }
    return overflow;
  }

  // INT_STATUS records every event; INT_ENABLE picks those that drive the INT pin.
  raise(events) {
    this.status |= events;
    if (!(events & this.regs[R.INT_ENABLE])) return;
    if (this.regs[R.INT_PIN_CFG] & 0x20) {
      this.setPin(true); // LATCH_INT_EN: held until the status is cleared
    } else {
      this.setPin(true);
      this.pulseEnd.at(worldNanos() + INT_PULSE_NANOS);
    }
  }

  clearStatus() {
    this.status = 0;
    if (this.regs[R.INT_PIN_CFG] & 0x20) this.setPin(false);
  }

  setPin(asserted) {
    this.asserted = asserted;
    this.updatePin();
  }

  // INT_PIN_CFG INT_LEVEL (bit 7): active low; otherwise active high.
  updatePin() {
    if (!mcu) return;
    const activeLow = !!(this.regs[R.INT_PIN_CFG] & 0x80);
    const level = this.asserted !== activeLow;
    const pin = mcu.gpio[PIN_INT];
    if (pin.rawInputValue !== level || this.pinChip !== mcu) {
      this.pinChip = mcu;
      pin.setInputValue(level);
    }
  }

  write(value) {
    const reg = this.pointer;
    if (reg !== R.FIFO_R_W) this.pointer = (reg + 1) & 0x7f;
    switch (reg) {
      case R.PWR_MGMT_1:
        if (value & 0x80) {
          this.reset(); // DEVICE_RESET: every register to its default; the bit clears itself
          return;
        }
        this.regs[reg] = value;
        if (this.awake && this.tick.due === null) {
          this.rec.begin();
          this.gridStart = worldNanos();
          this.baseline = null;
          this.sample();
        } else if (!this.awake) {
          this.tick.cancel();
        }
        return;
      case R.USER_CTRL:
        if (value & 0x04) {
          this.fifoHead = 0; // FIFO_RESET, which clears itself
          this.fifoCount = 0;
        }
        this.regs[reg] = value & ~0x04;
        return;
      case R.SMPLRT_DIV:
      case R.CONFIG:
        this.regs[reg] = value;
        if (this.tick.due !== null) this.schedule();
        return;
      case R.INT_PIN_CFG:
        this.regs[reg] = value;
        this.updatePin();
        return;
      case R.INT_STATUS:
      case R.FIFO_COUNTH:
      case R.FIFO_COUNTL:
      case R.WHO_AM_I:
        return; // read-only
      case R.FIFO_R_W:
        return; // the driver never writes the FIFO
      default:
        if (reg >= R.ACCEL_XOUT_H && reg < R.ACCEL_XOUT_H + 14) return; // read-only data
        this.regs[reg] = value;
    }
  }

  read() {
    const reg = this.pointer;
    let value;
    if (reg === R.FIFO_R_W) {
      if (this.fifoCount > 0) {
        this.lastFifoByte = this.fifo[this.fifoHead];
        this.fifoHead = (this.fifoHead + 1) % FIFO_BYTES;
        this.fifoCount--;
      }
      value = this.lastFifoByte; // an empty FIFO repeats the last byte read
    } else {
      this.pointer = (reg + 1) & 0x7f;
      if (reg === R.INT_STATUS) value = this.status;
      else if (reg === R.FIFO_COUNTH) value = this.fifoCount >> 8;
      else if (reg === R.FIFO_COUNTL) value = this.fifoCount & 0xff;
      else if (reg >= R.ACCEL_XOUT_H && reg < R.ACCEL_XOUT_H + 14) value = this.data[reg - R.ACCEL_XOUT_H];
      else value = this.regs[reg];
    }
    // Reading INT_STATUS clears it; with INT_RD_CLEAR (INT_PIN_CFG bit 4) any read does.
    if (reg === R.INT_STATUS || this.regs[R.INT_PIN_CFG] & 0x10) this.clearStatus();
    return value;
  }
}

// The hardware I2C peripheral's transfers, as the MPU6050 answers them.
function attachI2C(chip, device) {
  const i2c = chip.i2c[0];
  let selected = false;
  let pointerByte = false;
  i2c.onConnect = (address, mode) => {
    selected = address === MPU_ADDRESS;
    pointerByte = mode === I2CMode.Write; // a write starts with the register address
    i2c.completeConnect(selected);
  };
  i2c.onWriteByte = (value) => {
    if (pointerByte) {
      device.pointer = value & 0x7f;
      pointerByte = false;
    } else {
      device.write(value);
    }
    i2c.completeWrite(true);
  };
  i2c.onReadByte = () => i2c.completeRead(device.read());
  attachBitBangedBus(chip);
}

// i2c.scan() on rp2 bit-bangs GP4/GP5 (the RP2040's I2C block cannot send a zero-length
// write), which rp2040js's I2C peripheral never sees. So the two lines are modelled as an
// open-drain bus with pull-ups, and the MPU6050 acknowledges its address on it.
function attachBitBangedBus(chip) {
  const sdaPin = chip.gpio[PIN_SDA];
  const sclPin = chip.gpio[PIN_SCL];
  const pulledLow = (pin) => pin.outputEnable && !pin.outputValue;
  let ack = false; // the device holds SDA low for the acknowledge bit
  let bits = -1; // bits of the address byte seen since START; -1: not addressed
  let byte = 0;
  let scl = true;
  let sda = true;
  const update = () => {
    const newScl = !pulledLow(sclPin);
    const newSda = !pulledLow(sdaPin) && !ack;
    if (scl && newScl && sda !== newSda) {
      bits = newSda ? -1 : 0; // SDA falls with SCL high: START; rises: STOP
      byte = 0;
    } else if (!scl && newScl && bits >= 0 && bits < 8) {
      byte = (byte << 1) | (newSda ? 1 : 0); // data is sampled on SCL's rising edge
      bits++;
    } else if (scl && !newScl) {
      if (ack) {
        ack = false; // the acknowledge clock is over: release SDA
        bits = -1;
      } else if (bits === 8) {
        // After the address byte: acknowledge ours (a scan writes), else stay off the bus.
        ack = byte >> 1 === MPU_ADDRESS && !(byte & 1);
        if (!ack) bits = -1;
      }
    }
    scl = newScl;
    sda = !pulledLow(sdaPin) && !ack;
    if (sclPin.rawInputValue !== scl) sclPin.setInputValue(scl);
    if (sdaPin.rawInputValue !== sda) sdaPin.setInputValue(sda);
  };
  sclPin.setInputValue(true);
  sdaPin.setInputValue(true);
  sclPin.addListener(update);
  sdaPin.addListener(update);
}

function attachADC(chip, recording) {
  const adc = chip.adc;
  const convert = adc.onADCRead;
  adc.onADCRead = (channel) => {
    if (channel === 0) {
      recording.begin();
      if (recording.ended(worldNanos())) recording.finish();
      adc.channelValues[0] = recording.samples[recording.index(worldNanos())];
    }
    convert(channel);
  };
}

const recording = args.data ? new Recording(loadRecording(args.data)) : null;
let imu = null;
let frozen = null; // set when the recording ends: the run loop stops the chip

function attachSensors(chip) {
  if (!recording) return;
  if (recording.kind === 'imu') {
    imu ??= new MPU6050(recording);
    attachI2C(chip, imu);
    imu.updatePin(); // the new chip's GP6 starts low: give it the INT line's level
  } else {
    attachADC(chip, recording);
  }
}

// ---------------------------------------------------------------------------------------------
// Pulses (--pulses PIN:HZ:COUNT:READY): a square wave into an input pin, started by the firmware.

function parsePulses(spec) {
  const fields = spec.split(':').map(Number);
  if (fields.length !== 4 || !fields.every((n) => Number.isInteger(n) && n >= 0)) {
    fail(`--pulses ${spec}: want PIN:HZ:COUNT:READY, whole numbers`);
  }
  const [pin, hz, count, ready] = fields;
  if (pin > 29 || ready > 29 || hz < 1) fail(`--pulses ${spec}: pins are 0-29, HZ >= 1`);
  return { pin, halfPeriod: 1e9 / hz / 2, count, ready, driven: 0, started: false };
}

const pulses = args.pulses ? parsePulses(args.pulses) : null;
const pulseTimer = pulses && new WorldTimer(() => {
  const pin = mcu.gpio[pulses.pin];
  const rising = !pin.rawInputValue;
  pin.setInputValue(rising);
  if (rising) pulses.driven++;
  if (rising || pulses.driven < pulses.count) {
    pulseTimer.at(worldNanos() + pulses.halfPeriod);
  } else {
    process.stdout.write(`pulses driven ${pulses.driven}\n`);
  }
});

function attachPulses(chip) {
  if (!pulses) return;
  chip.gpio[pulses.pin].setInputValue(false);
  chip.gpio[pulses.ready].addListener(() => {
    if (pulses.started || !chip.gpio[pulses.ready].outputValue) return;
    pulses.started = true;
    pulseTimer.at(worldNanos());
  });
}

// ---------------------------------------------------------------------------------------------
// Run loop: slices of ~20 ms of emulation between which Node handles the socket and timers.

let timer = null;
let wallOffsetNanos = 0; // virtual time at which wall time 0 maps (moves on each new chip)
const wallNanos = () => (performance.now() - t0) * 1e6;

function boot(keep) {
  boots++;
  if (keep) log(`reset (${keep.why}): booting again`);
  if (mcu) worldBase += mcu.clock.nanos;
  mcu = makeChip(keep);
  attachCDC(mcu);
  attachSensors(mcu);
  attachPulses(mcu);
  for (const t of worldTimers) t.arm(); // the sensors' alarms, on the new chip's clock
  // Queued host->device bytes are kept for the new firmware: a client that connects right after
  // `mpremote reset` (before the old firmware has rebooted) must not lose its Ctrl-C/Ctrl-A.
  wallOffsetNanos = wallNanos();
}

function wake() {
  if (timer) {
    clearTimeout(timer);
    timer = null;
    setImmediate(run);
  }
}

function run() {
  timer = null;
  const { core, clock } = mcu;
  const sliceEnd = performance.now() + 20;
  let idleUntil = -1; // >= 0: sleep, in ms; Infinity: sleep until I/O
  outer: while (performance.now() < sliceEnd) {
    for (let i = 0; i < 50000; i++) {
      if (core.waiting) {
        // nanosToNextAlarm is 0 both for "no alarm" and "an alarm due now": fire any due now.
        if (clock.nanosToNextAlarm === 0) {
          clock.tick(0);
          if (!core.waiting) continue;
        }
        const now = wallNanos() - wallOffsetNanos;
        const next = clock.nanosToNextAlarm > 0 ? clock.nanos + clock.nanosToNextAlarm : Infinity;
        if (args['no-throttle'] && next !== Infinity) {
          clock.tick(next - clock.nanos);
        } else if (next <= now) {
          clock.tick(next - clock.nanos);
        } else {
          // Nothing to do before the next alarm: catch up with wall time and sleep.
          if (now > clock.nanos) clock.tick(now - clock.nanos);
          idleUntil = next === Infinity ? Infinity : (next - now) / 1e6;
          break outer;
        }
      } else {
        clock.tick(core.executeInstruction() * CYCLE_NANOS);
        instructions++;
      }
      if (resetPending || stopped || frozen) break outer;
    }
  }
  if (frozen) {
    // The chip stays as it is (no more instructions); the socket stays open.
    log(frozen);
    process.stdout.write('recording ended\n');
    return;
  }
  if (stopped) {
    log(stopped);
    shutdown(3);
    return;
  }
  if (resetPending) {
    const keep = resetPending;
    resetPending = null;
    boot(keep);
    setImmediate(run);
  } else if (idleUntil >= 0) {
    timer = setTimeout(run, Math.min(Math.max(idleUntil, 0), 50));
  } else {
    setImmediate(run);
  }
}

// ---------------------------------------------------------------------------------------------

let statsTimer = null;
function shutdown(code) {
  const secs = (performance.now() - t0) / 1000;
  log(`exit: ${(instructions / 1e6).toFixed(1)} M instructions in ${secs.toFixed(1)} s wall`);
  clearInterval(statsTimer);
  process.exit(code);
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.on('SIGHUP', () => shutdown(0));
if (args['exit-on-stdin-eof']) {
  process.stdin.on('end', () => shutdown(0));
  process.stdin.on('close', () => shutdown(0));
  process.stdin.resume();
}

if (args.verbose) {
  // Per wall second and per CPU second of this process (the machine may be shared).
  let last = { n: 0, t: performance.now(), cpu: process.cpuUsage() };
  statsTimer = setInterval(() => {
    const t = performance.now();
    const cpu = process.cpuUsage(last.cpu);
    const n = instructions - last.n;
    const perWall = n / ((t - last.t) / 1000) / 1e6;
    const perCpu = n / ((cpu.user + cpu.system) / 1e6 || 1) / 1e6;
    log(`${perWall.toFixed(1)} M instructions/s wall, ${perCpu.toFixed(1)} M per CPU s,` +
        ` virtual time ${(mcu.clock.nanos / 1e9).toFixed(2)} s`);
    last = { n: instructions, t, cpu: process.cpuUsage() };
  }, 5000);
}

server.listen(Number(args.port), args.host, () => {
  const { address, port } = server.address();
  process.stdout.write(`listening on ${address}:${port}\n`);
  log(`serving the USB serial port on ${address}:${port}`);
  boot(null);
  run();
});
