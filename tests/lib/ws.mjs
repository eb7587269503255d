// SPDX-License-Identifier: Apache-2.0
// A tiny RFC 6455 client over node:net for tests: it speaks the protocol
// correctly by default (masked frames, close handshake) and can also send
// anything at all (unmasked, reserved bits, bad opcodes, raw bytes), which
// a browser's WebSocket never would.
import net from 'node:net';
import crypto from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKey(key) {
  return crypto.createHash('sha1').update(key + GUID).digest('base64');
}

// Builds one frame. payload: string or Buffer.
export function frame({ opcode = 1, payload = '', fin = true, mask = true, rsv = 0, maskKey } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  const len = data.length;
  let header;
  if (len < 126) {
    header = Buffer.alloc(2);
    header[1] = len;
  } else if (len < 65536) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  header[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  if (!mask) return Buffer.concat([header, data]);
  header[1] |= 0x80;
  const key = maskKey || crypto.randomBytes(4);
  const body = Buffer.from(data);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([header, key, body]);
}

export class WsClient {
  constructor(socket, rest) {
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.events = [];
    this.waiters = [];
    this.fragments = null;
    this.ended = false;
    this.closed = new Promise((resolve) => { this._closedResolve = resolve; });
    socket.on('data', (b) => this._onData(b));
    socket.on('end', () => { this._push({ type: 'end' }); });
    socket.on('error', (e) => { this._push({ type: 'error', error: e }); });
    socket.on('close', () => { this.ended = true; this._push({ type: 'end' }); this._closedResolve(); });
    if (rest && rest.length) this._onData(rest);
  }

  _push(ev) {
    if (ev.type === 'end' && this.events.some((e) => e.type === 'end')) return;
    this.events.push(ev);
    const w = this.waiters.splice(0);
    for (const f of w) f();
  }

  _onData(b) {
    this.buf = Buffer.concat([this.buf, b]);
    for (;;) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0], b1 = this.buf[1];
      let len = b1 & 0x7f, off = 2;
      if (len === 126) { if (this.buf.length < 4) return; len = this.buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (this.buf.length < 10) return; len = Number(this.buf.readBigUInt64BE(2)); off = 10; }
      const masked = (b1 & 0x80) !== 0;
      if (masked) off += 4;
      if (this.buf.length < off + len) return;
      const payload = Buffer.from(this.buf.subarray(off, off + len));
      this.buf = this.buf.subarray(off + len);
      const opcode = b0 & 0x0f, fin = (b0 & 0x80) !== 0;
      const ev = { opcode, fin, masked, rsv: (b0 >> 4) & 7 };
      if (opcode === 8) {
        ev.type = 'close';
        ev.code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        ev.reason = payload.subarray(2).toString('utf8');
      } else if (opcode === 9) { ev.type = 'ping'; ev.data = payload; }
      else if (opcode === 10) { ev.type = 'pong'; ev.data = payload; }
      else {
        if (opcode !== 0) this.fragments = { opcode, parts: [] };
        if (!this.fragments) { ev.type = 'bad'; this._push(ev); continue; }
        this.fragments.parts.push(payload);
        if (!fin) continue;
        const all = Buffer.concat(this.fragments.parts);
        ev.type = this.fragments.opcode === 1 ? 'text' : 'binary';
        ev.data = ev.type === 'text' ? all.toString('utf8') : all;
        this.fragments = null;
      }
      this._push(ev);
    }
  }

  // The next event (text, binary, ping, pong, close, end, error).
  async next(timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no WebSocket event within ${timeoutMs} ms`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    const ev = this.events.shift();
    if (ev.type === 'end') this.events.unshift(ev); // sticky
    return ev;
  }

  // The next event of a type, skipping others (pings are answered).
  async nextOf(type, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ev = await this.next(Math.max(1, deadline - Date.now()));
      if (ev.type === type) return ev;
      if (ev.type === 'end' && type !== 'end') throw new Error(`connection ended while waiting for ${type}`);
      if (ev.type === 'ping') this.sendFrame({ opcode: 10, payload: ev.data });
    }
  }

  // The next JSON message for which pred(msg) is true; others are kept in
  // this.seen for inspection.
  async nextJson(pred = () => true, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    this.seen = this.seen || [];
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; saw ${JSON.stringify(this.seen.slice(-5))}`);
      const ev = await this.nextOf('text', left);
      const msg = JSON.parse(ev.data);
      if (pred(msg)) return msg;
      this.seen.push(msg);
    }
  }

  sendFrame(opts) { this.socket.write(frame(opts)); }
  sendRaw(buf) { this.socket.write(buf); }
  send(text) { this.sendFrame({ opcode: 1, payload: text }); }
  sendJson(obj) { this.send(JSON.stringify(obj)); }

  close(code = 1000, reason = '') {
    const p = Buffer.alloc(2 + Buffer.byteLength(reason));
    p.writeUInt16BE(code, 0);
    p.write(reason, 2);
    this.sendFrame({ opcode: 8, payload: p });
  }

  destroy() { this.socket.destroy(); }
}

// Opens a WebSocket: resolves {status, headers, body, ws} — ws only for 101.
export function connect(baseUrl, { path = '/ws', headers = {}, key, version = '13', raw } = {}) {
  const u = new URL(baseUrl);
  const k = key || crypto.randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('handshake timeout')); }, 10000);
    socket.on('error', (e) => { clearTimeout(timer); reject(e); });
    socket.on('connect', () => {
      const h = {
        Host: u.host,
        Upgrade: 'websocket',
        Connection: 'Upgrade',
        'Sec-WebSocket-Key': k,
        'Sec-WebSocket-Version': version,
        ...headers,
      };
      let req = raw || `GET ${path} HTTP/1.1\r\n`;
      if (!raw) {
        for (const [n, v] of Object.entries(h)) if (v !== null && v !== undefined) req += `${n}: ${v}\r\n`;
        req += '\r\n';
      }
      socket.write(req);
    });
    let buf = Buffer.alloc(0);
    const onData = (b) => {
      buf = Buffer.concat([buf, b]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(head[0].split(' ')[1]);
      const headers = {};
      for (const line of head.slice(1)) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const rest = buf.subarray(end + 4);
      socket.off('data', onData);
      if (status !== 101) {
        // Read the (small) error body until the server closes or 300 ms.
        let body = rest;
        const fin = () => { clearTimeout(timer); socket.destroy(); resolve({ status, headers, body: body.toString('utf8') }); };
        socket.on('data', (x) => { body = Buffer.concat([body, x]); });
        socket.on('end', fin);
        setTimeout(fin, 300);
        return;
      }
      clearTimeout(timer);
      if (headers['sec-websocket-accept'] !== acceptKey(k)) {
        socket.destroy();
        reject(new Error('bad Sec-WebSocket-Accept: ' + headers['sec-websocket-accept']));
        return;
      }
      resolve({ status, headers, ws: new WsClient(socket, rest) });
    };
    socket.on('data', onData);
  });
}
