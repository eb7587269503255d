// SPDX-License-Identifier: Apache-2.0
// call.js — one RTCPeerConnection to the server's SFU for the meeting page.
//
// The page offers first: a sendonly m-line for each local track it
// publishes (or recvonly slots when it has no camera or microphone). The
// server answers and later re-offers to add a receive slot for every other
// participant's track; this side answers those. The server is the polite
// side of "perfect negotiation": if its offer crosses ours, we ignore it
// and it rolls back and offers again. A received track's stream id is the
// publisher's participant id (pid), which is how tiles find their video.
//
// When the media path breaks (ICE `failed`, or `disconnected` for a few
// seconds) the call restarts ICE on the same connection: new credentials
// in a new offer, same tracks, same DTLS. If that has not brought the
// connection back within RESTART_LIMIT_MS, onGiveUp() lets the page fall
// back to rejoining the meeting.
(function () {
  'use strict';

  const DISCONNECTED_GRACE_MS = 3000; // Chromium often recovers by itself
  const RESTART_LIMIT_MS = 15000;

  class Call {
    // opts: {send(msg), iceServers, stream (local MediaStream or null),
    //        onTrack(track, stream), onState(state), onRestart(count),
    //        onGiveUp()}
    constructor(opts) {
      this.o = opts;
      this.pc = null;
      this.makingOffer = false;
      this.pending = []; // remote candidates before the remote description
      this.videoSender = null;
      this.audioSender = null;
      this.closed = false;
      this.restarts = 0;      // ICE restarts started by this call
      this.restarting = false;
      this.graceTimer = null;
      this.limitTimer = null;
      // Every negotiation step runs after the previous one. A step may never
      // settle if the connection is closed under it (WebRTC leaves such
      // promises pending), which is why callers never wait on this chain.
      this.chain = Promise.resolve();
    }

    start() {
      return this._enqueue(() => this._start(), 'start');
    }

    _enqueue(fn, what) {
      this.chain = this.chain.then(() => (this.closed ? null : fn()))
        .catch((e) => console.warn('negotiation', what, e && e.message));
      return this.chain;
    }

    async _start() {
      const pc = new RTCPeerConnection({
        iceServers: this.o.iceServers || [],
        bundlePolicy: 'max-bundle',
        rtcpMuxPolicy: 'require',
      });
      this.pc = pc;
      pc.onicecandidate = (e) => {
        if (this.closed) return;
        if (e.candidate && e.candidate.candidate) {
          this.o.send({ type: 'candidate', candidate: e.candidate.candidate, mid: e.candidate.sdpMid });
        } else if (!e.candidate) {
          this.o.send({ type: 'candidate', candidate: '', mid: null });
        }
      };
      pc.ontrack = (e) => {
        const stream = e.streams && e.streams[0];
        if (stream) this.o.onTrack(e.track, stream);
      };
      pc.onconnectionstatechange = () => {
        this.o.onState(pc.connectionState);
        this._watch();
      };
      pc.oniceconnectionstatechange = () => this._watch();
      // After restartIce() the browser asks for an offer once it is stable;
      // any other renegotiation is the server's to start.
      pc.onnegotiationneeded = () => {
        if (this.restarting) this._enqueue(() => this._restartOffer(), 'restart offer');
      };

      const stream = this.o.stream;
      const audio = stream && stream.getAudioTracks()[0];
      const video = stream && stream.getVideoTracks()[0];
      if (audio) {
        this.audioSender = pc.addTransceiver(audio, { direction: 'sendonly', streams: [stream] }).sender;
      } else {
        pc.addTransceiver('audio', { direction: 'recvonly' });
      }
      if (video) {
        // Simulcast (three RID layers) when the camera is big enough: the
        // server then sends each viewer the layer that fits its link and
        // the size it shows us at.
        const h = (video.getSettings && video.getSettings().height) || 0;
        const sendEncodings = h >= 360 ? [
          { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 },
          { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500000 },
          { rid: 'f', maxBitrate: 1200000 },
        ] : undefined;
        this.videoSender = pc.addTransceiver(video, { direction: 'sendonly', streams: [stream], sendEncodings }).sender;
      } else {
        pc.addTransceiver('video', { direction: 'recvonly' });
      }
      await this._offer();
    }

    _healthy() {
      const pc = this.pc;
      return !!pc && pc.connectionState === 'connected' &&
        (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed');
    }

    // Decides, on every state change (and after each answer), whether the
    // media path is broken or back.
    _watch() {
      const pc = this.pc;
      if (!pc || this.closed) return;
      const ice = pc.iceConnectionState, conn = pc.connectionState;
      if (this._healthy()) {
        clearTimeout(this.graceTimer);
        clearTimeout(this.limitTimer);
        this.graceTimer = this.limitTimer = null;
        if (this.restarting) {
          this.restarting = false;
          this.o.onState(conn); // back: the page says so
        }
      } else if (ice === 'failed' || conn === 'failed') {
        this.restartIce();
      } else if ((ice === 'disconnected' || conn === 'disconnected') && !this.graceTimer) {
        this.graceTimer = setTimeout(() => {
          this.graceTimer = null;
          if (!this.closed && !this._healthy()) this.restartIce();
        }, DISCONNECTED_GRACE_MS);
      }
    }

    // Restarts ICE (new ufrag/pwd, same tracks and DTLS); the offer goes out
    // as soon as the connection is stable. Also called when the server says
    // it lost us (media_state failed). No-op while a restart is under way.
    restartIce() {
      const pc = this.pc;
      if (!pc || this.closed || this.restarting) return;
      this.restarting = true;
      this.restarts++;
      this.o.onRestart && this.o.onRestart(this.restarts);
      clearTimeout(this.limitTimer);
      this.limitTimer = setTimeout(() => {
        this.limitTimer = null;
        if (this.closed || !this.restarting) return;
        if (this._healthy()) this._watch();
        else if (this.o.onGiveUp) this.o.onGiveUp();
      }, RESTART_LIMIT_MS);
      if (typeof pc.restartIce === 'function') pc.restartIce(); // fires negotiationneeded when stable
      else this._enqueue(() => this._restartOffer(), 'restart offer'); // older browsers
    }

    async _restartOffer() {
      const pc = this.pc;
      if (!pc || this.closed || this.makingOffer || pc.signalingState !== 'stable') return;
      await this._offer({ iceRestart: true });
    }

    async _offer(options) {
      try {
        this.makingOffer = true;
        const offer = await this.pc.createOffer(options);
        await this.pc.setLocalDescription(offer);
        this.o.send({ type: 'offer', sdp: this.pc.localDescription.sdp });
      } finally {
        this.makingOffer = false;
      }
    }

    // Handles a server message of type answer, offer or candidate, strictly
    // after the previous one (descriptions must be applied in order).
    handle(msg) {
      return this._enqueue(() => this._handle(msg), msg.type);
    }

    async _handle(msg) {
      const pc = this.pc;
      if (!pc || this.closed) return;
      if (msg.type === 'answer') {
        await pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
        await this._flush();
        this._watch(); // a restart on a path that never looked broken ends here
      } else if (msg.type === 'offer') {
        if (this.makingOffer || pc.signalingState !== 'stable') return; // the server yields
        await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
        await this._flush();
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        this.o.send({ type: 'answer', sdp: pc.localDescription.sdp });
      } else if (msg.type === 'candidate') {
        if (!msg.candidate) return; // end of candidates: nothing to do
        const c = { candidate: msg.candidate, sdpMid: msg.mid || '0', sdpMLineIndex: 0 };
        if (!pc.remoteDescription) this.pending.push(c);
        else await pc.addIceCandidate(c).catch(() => {});
      }
    }

    async _flush() {
      const list = this.pending.splice(0);
      for (const c of list) await this.pc.addIceCandidate(c).catch(() => {});
    }

    // Sends another video track (screen share or back to the camera).
    replaceVideo(track) {
      return this._enqueue(async () => {
        if (this.videoSender) await this.videoSender.replaceTrack(track);
      }, 'replaceTrack');
    }

    close() {
      this.closed = true;
      clearTimeout(this.graceTimer);
      clearTimeout(this.limitTimer);
      if (this.pc) this.pc.close();
    }
  }

  window.YjCall = Call;
})();
