// SPDX-License-Identifier: Apache-2.0
// signal.js — the meeting page's signaling connection: JSON messages over
// a WebSocket to /ws, an application keepalive that notices a dead network
// sooner than TCP does, and reconnection with exponential backoff (1 s,
// 2 s, 4 s … up to 30 s, with jitter) until stop() is called or the server
// closes for good (meeting ended, removed, replaced).
(function () {
  'use strict';

  const FINAL_CODES = new Set([4000, 4001, 4002, 1008]);
  const PING_MS = 10000;
  const DEAD_MS = 25000;
  const MAX_DELAY_MS = 30000;

  class Signal {
    // handlers: onOpen(), onMessage(msg), onDown(delayMs, attempt), onFinal(code, reason)
    constructor(url, handlers) {
      this.url = url;
      this.h = handlers;
      this.ws = null;
      this.attempt = 0;
      this.stopped = false;
      this.timer = null;
      this.keepalive = null;
      this.lastRx = 0;
    }

    start() {
      this.stopped = false;
      this._connect();
    }

    // Closes for good (no reconnect).
    stop() {
      this.stopped = true;
      clearTimeout(this.timer);
      clearInterval(this.keepalive);
      if (this.ws) {
        try { this.ws.close(1000, 'bye'); } catch (e) { /* already closed */ }
      }
      this.ws = null;
    }

    // Drops the current connection and reconnects at once (network came back).
    reconnectNow() {
      if (this.stopped) return;
      clearTimeout(this.timer);
      this.attempt = 0;
      if (this.ws) {
        const old = this.ws;
        this.ws = null;
        old.onclose = null;
        try { old.close(4100, 'reconnect'); } catch (e) { /* ignore */ }
      }
      this._connect();
    }

    send(msg) {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) {
        this.ws.send(JSON.stringify(msg));
        return true;
      }
      return false;
    }

    get open() {
      return !!this.ws && this.ws.readyState === WebSocket.OPEN;
    }

    _connect() {
      clearInterval(this.keepalive);
      let ws;
      try {
        ws = new WebSocket(this.url);
      } catch (e) {
        this._schedule();
        return;
      }
      this.ws = ws;
      ws.onopen = () => {
        if (ws !== this.ws) return;
        this.attempt = 0;
        this.lastRx = Date.now();
        this.keepalive = setInterval(() => {
          if (Date.now() - this.lastRx > DEAD_MS) {
            // Nothing heard for too long: the network is gone.
            this.reconnectNow();
            return;
          }
          this.send({ type: 'ping' });
        }, PING_MS);
        this.h.onOpen();
      };
      ws.onmessage = (ev) => {
        if (ws !== this.ws) return;
        this.lastRx = Date.now();
        let msg;
        try { msg = JSON.parse(ev.data); } catch (e) { return; }
        if (msg.type === 'pong') return;
        this.h.onMessage(msg);
      };
      ws.onclose = (ev) => {
        if (ws !== this.ws) return;
        clearInterval(this.keepalive);
        this.ws = null;
        if (this.stopped) return;
        if (FINAL_CODES.has(ev.code)) {
          this.stopped = true;
          this.h.onFinal(ev.code, ev.reason);
          return;
        }
        this._schedule();
      };
    }

    _schedule() {
      if (this.stopped) return;
      const base = Math.min(MAX_DELAY_MS, 1000 * Math.pow(2, this.attempt));
      const delay = Math.round(base * (0.75 + Math.random() * 0.5));
      this.attempt++;
      this.h.onDown(delay, this.attempt);
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this._connect(), delay);
    }
  }

  window.YjSignal = Signal;
})();
