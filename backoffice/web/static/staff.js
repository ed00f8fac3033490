// The staff desk: state, queue, ringing, the WebRTC answer to a kiosk's offer, its context, transfer, wrap-up.
// Everything arrives over /ws/agent (wire/signaling.py). The kiosk always offers; this page answers with all
// its candidates in the SDP (aiortc takes trickled ones, but one complete answer is one less race). Values from
// the kiosk are shown exactly as sent (masked there) and only ever through textContent.
(function () {
  "use strict";
  const cfgEl = document.getElementById("staff-config");
  const T = JSON.parse(cfgEl.textContent), RELAY = cfgEl.dataset.relay === "1";
  const t = (key, s) => (T[key] || key).replace("{s}", s === undefined ? "" : s);
  const $ = (name) => document.querySelector(`[data-test="${name}"]`);
  const STATS_EVERY_MS = 3000, GATHER_MAX_MS = 5000;
  const desk = { ws: null, pc: null, media: null, callId: "", ringId: "", wrapId: "", snapshot: null,
                 snapAt: 0, statsSent: 0, lastIn: null };
  window.staffDesk = desk; // for tests and the curious: the peer connection and the quality samples sent

  function send(kind, body, callId) {
    if (desk.ws && desk.ws.readyState === WebSocket.OPEN)
      desk.ws.send(JSON.stringify({ v: 1, call_id: callId || "", kind: kind, body: body || {}, at: Date.now() / 1000 }));
  }
  function status(text) { $("desk-status").textContent = text; }
  function row(dl, key, value) {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = key; dd.textContent = value;
    dl.append(dt, dd);
  }

  // ---------------------------------------------------------------- queue, state, ringing
  function drawQueue() {
    const snap = desk.snapshot, body = $("queue").tBodies[0];
    if (!snap) return;
    const extra = (Date.now() - desk.snapAt) / 1000;
    body.replaceChildren(...snap.calls.map((c) => {
      const tr = document.createElement("tr");
      tr.dataset.call = c.call_id;
      const waited = c.state === "waiting" || c.state === "ringing" ? Math.round(c.waited_s + extra) : Math.round(c.waited_s);
      for (const [name, text] of [["kiosk", c.kiosk_id], ["item", c.item], ["skill", t("skill." + c.skill)],
                                  ["state", t("state." + c.state)], ["waited", t("staff.seconds", waited)]]) {
        const td = document.createElement("td");
        td.dataset.test = "q-" + name; td.textContent = text;
        tr.append(td);
      }
      return tr;
    }));
    $("queue-empty").hidden = snap.calls.length > 0;
  }
  setInterval(drawQueue, 1000);

  function showState(state, callId) {
    $("my-state").textContent = t("state." + state);
    $("my-state").dataset.state = state;
    if (state !== "ringing") $("ring").hidden = true;
    if (state === "wrap_up" && callId) {
      desk.wrapId = callId;
      $("wrapup").hidden = false;
    } else if (state !== "wrap_up") {
      $("wrapup").hidden = true;
      desk.wrapId = "";
    }
  }

  document.querySelectorAll("[data-state]").forEach((b) =>
    b.addEventListener("click", () => send("agent.state", { state: b.dataset.state, reason: "" })));

  function ring(callId, b) {
    desk.ringId = callId;
    $("ring-info").textContent = `${b.kiosk_name || b.kiosk_id} · ${b.item} · ${t("skill." + b.skill)} · ` +
      t("staff.waited") + " " + t("staff.seconds", Math.round(b.waited_s));
    $("ring-note").textContent = b.note || "";
    $("ring").hidden = false;
  }
  $("accept").addEventListener("click", () => {
    desk.callId = desk.ringId;
    $("ring").hidden = true;
    clearContext();
    startMedia();
    send("call.accept", {}, desk.callId);
    callState(t("staff.connecting"));
  });
  $("reject").addEventListener("click", () => { $("ring").hidden = true; send("call.reject", {}, desk.ringId); });

  // ---------------------------------------------------------------- media and the peer connection
  function startMedia() {
    if (!desk.media) {
      desk.media = navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480, frameRate: 15 } })
        .then((stream) => { $("local-video").srcObject = stream; return stream; })
        .catch((err) => { status(t("staff.no_camera", err.name)); desk.media = null; return null; });
    }
    return desk.media;
  }

  function callState(text) { $("call-state").textContent = text; }
  function inCall(on) {
    $("mute").disabled = $("end").disabled = !on;
    $("transfer").disabled = !on;
  }

  function closePeer(keepMedia) {
    if (desk.pc) { desk.pc.close(); desk.pc = null; }
    $("remote-video").srcObject = null;
    desk.lastIn = null;
    inCall(false);
    if (keepMedia || !desk.media) return;
    desk.media.then((stream) => { if (stream) stream.getTracks().forEach((tr) => tr.stop()); }); // camera off between calls
    desk.media = null;
    $("local-video").srcObject = null;
    $("mute").setAttribute("aria-pressed", "false");
    $("mute").textContent = t("staff.mute");
  }

  async function answer(callId, body) {
    if (callId !== desk.callId) return;
    closePeer(true); // a resumed call offers again: a new peer connection (aiortc cannot restart ICE)
    const stream = await startMedia();
    const pc = new RTCPeerConnection({
      iceServers: body.ice_servers.map((s) => ({ urls: s.urls, username: s.username || undefined,
                                                 credential: s.credential || undefined })),
      iceTransportPolicy: RELAY ? "relay" : "all",
    });
    desk.pc = pc;
    const remote = new MediaStream();
    pc.ontrack = (e) => { remote.addTrack(e.track); $("remote-video").srcObject = remote; };
    pc.onconnectionstatechange = () => {
      if (pc !== desk.pc) return;
      if (pc.connectionState === "connected") { callState(t("staff.connected")); inCall(true); }
      else if (pc.connectionState === "failed") callState(t("staff.ended", t("reason.lost")));
    };
    await pc.setRemoteDescription({ type: "offer", sdp: body.sdp });
    if (stream) for (const track of stream.getTracks()) {
      const tr = pc.getTransceivers().find((x) => x.receiver.track.kind === track.kind && !x.sender.track);
      if (tr) { tr.sender.replaceTrack(track); tr.direction = "sendrecv"; } else pc.addTrack(track, stream);
    }
    await pc.setLocalDescription(await pc.createAnswer());
    await new Promise((done) => {
      if (pc.iceGatheringState === "complete") return done();
      const timer = setTimeout(done, GATHER_MAX_MS);
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") { clearTimeout(timer); done(); }
      });
    });
    if (pc === desk.pc) send("sdp.answer", { sdp: pc.localDescription.sdp }, callId);
  }

  $("mute").addEventListener("click", async () => {
    const stream = await desk.media;
    if (!stream) return;
    const muted = $("mute").getAttribute("aria-pressed") !== "true";
    stream.getAudioTracks().forEach((tr) => { tr.enabled = !muted; });
    $("mute").setAttribute("aria-pressed", String(muted));
    $("mute").textContent = muted ? t("staff.unmute") : t("staff.mute");
  });
  $("end").addEventListener("click", () => send("call.hangup", {}, desk.callId));
  $("transfer-go").addEventListener("click", () => {
    const skill = $("transfer-skill").value, agent = $("transfer-agent").value.trim();
    if (!skill === !agent) return; // exactly one of them
    send("call.transfer", { to_agent: agent, to_skill: skill, note: $("transfer-note").value.slice(0, 1000) }, desk.callId);
    closePeer();
    callState(t("staff.ended", t("reason.transferred")));
  });
  $("wrapup").addEventListener("submit", (e) => {
    e.preventDefault();
    send("wrapup.done", { outcome: $("outcome").value, note: $("wrapup-note").value.slice(0, 1000) }, desk.wrapId);
    $("wrapup-note").value = "";
  });

  // ---------------------------------------------------------------- quality for the desk's metrics
  async function sample() {
    const pc = desk.pc;
    if (!pc || pc.connectionState !== "connected") return;
    const report = await pc.getStats();
    let rtt = 0, fps = 0, lost = 0, got = 0, pair = null;
    report.forEach((s) => { if (s.type === "transport" && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId); });
    if (!pair) report.forEach((s) => { if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") pair = s; });
    if (pair && pair.currentRoundTripTime !== undefined) rtt = pair.currentRoundTripTime * 1000;
    report.forEach((s) => {
      if (s.type !== "inbound-rtp") return;
      lost += s.packetsLost || 0; got += s.packetsReceived || 0;
      if (s.kind === "video" && s.framesPerSecond) fps = s.framesPerSecond;
    });
    const prev = desk.lastIn || { lost: 0, got: 0 };
    const dLost = Math.max(0, lost - prev.lost), dGot = Math.max(0, got - prev.got);
    desk.lastIn = { lost: lost, got: got };
    const loss = dLost + dGot > 0 ? dLost / (dLost + dGot) : 0;
    send("call.quality", { rtt_ms: Math.min(rtt, 60000), loss: Math.min(loss, 1), fps: Math.min(fps, 240) }, desk.callId);
    desk.statsSent += 1;
  }
  setInterval(() => { sample().catch(() => {}); }, STATS_EVERY_MS);

  // ---------------------------------------------------------------- the kiosk's context
  function clearContext() {
    $("identity").replaceChildren(); $("ctx-texts").replaceChildren(); $("ctx-values").replaceChildren();
    $("ctx-item").textContent = $("ctx-step").textContent = "—";
  }
  function context(b) {
    clearContext();
    const known = cfgEl.dataset.identity.split(" ");
    const fields = [...known.filter((k) => k in b.identity), ...Object.keys(b.identity).filter((k) => !known.includes(k))];
    for (const k of fields) row($("identity"), t("kiosk.id." + k), b.identity[k]);
    $("ctx-item").textContent = b.item;
    $("ctx-step").textContent = b.step;
    $("ctx-texts").replaceChildren(...b.texts.map((x) => { const li = document.createElement("li"); li.textContent = x; return li; }));
    for (const [k, v] of Object.entries(b.values)) row($("ctx-values"), k, v);
  }

  // ---------------------------------------------------------------- the socket
  function onFrame(f) {
    const b = f.body;
    switch (f.kind) {
      case "welcome": status(""); break;
      case "agent.state": showState(b.state, f.call_id); break;
      case "queue.snapshot": desk.snapshot = b; desk.snapAt = Date.now(); drawQueue(); break;
      case "call.ring": ring(f.call_id, b); break;
      case "sdp.offer": answer(f.call_id, b).catch((err) => status(t("staff.error", err.name || err))); break;
      case "ice.candidate":
        if (desk.pc && f.call_id === desk.callId)
          desk.pc.addIceCandidate({ candidate: b.candidate, sdpMid: b.sdp_mid, sdpMLineIndex: b.sdp_mline_index }).catch(() => {});
        break;
      case "context": if (f.call_id === desk.callId) context(b); break;
      case "call.ended":
        if (f.call_id === desk.ringId) $("ring").hidden = true;
        if (f.call_id === desk.callId) { closePeer(); callState(t("staff.ended", t("reason." + b.reason))); }
        else if (b.reason === "no_answer") status(t("staff.ended", t("reason.no_answer")));
        break;
      case "error": status(t("staff.error", b.detail)); break;
    }
  }
  function connect() {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/agent");
    desk.ws = ws;
    ws.onmessage = (e) => { try { onFrame(JSON.parse(e.data)); } catch (err) { status(t("staff.error", String(err))); } };
    ws.onclose = () => { status(t("staff.offline")); setTimeout(connect, 2000); };
  }
  connect();
})();
