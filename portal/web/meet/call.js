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
(function () {
  'use strict';

  class Call {
    // opts: {send(msg), iceServers, stream (local MediaStream or null),
    //        onTrack(track, stream), onState(state)}
    constructor(opts) {
      this.o = opts;
      this.pc = null;
      this.makingOffer = false;
      this.pending = []; // remote candidates before the remote description
      this.videoSender = null;
      this.audioSender = null;
      this.closed = false;
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
      pc.onconnectionstatechange = () => this.o.onState(pc.connectionState);

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

    async _offer() {
      try {
        this.makingOffer = true;
        const offer = await this.pc.createOffer();
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
      if (this.pc) this.pc.close();
    }
  }

  window.YjCall = Call;
})();
