// The Proscore page: microphone → AudioWorklet → 16-bit PCM over /v1/stream; the server's
// events (replay --json shapes) → bars, transcript, pauses and mispronounced words.
"use strict";
const $ = (id) => document.getElementById(id);
const scoreNames = ["accuracy", "fluency", "prosodic", "total"];
let socket = null, context = null, stream = null, activity = [], summarised = false;

function setStatus(text) { $("status").textContent = text; }

function drawBars(scores) {
  const bars = $("bars");
  if (!bars.childElementCount) {
    for (const name of scoreNames) {
      bars.insertAdjacentHTML("beforeend",
        `<span>${name}</span><div class="bar"><div id="bar-${name}"></div></div><span id="value-${name}">—</span>`);
    }
  }
  for (const name of scoreNames) {
    const value = scores ? scores[name] : undefined;
    $("bar-" + name).style.width = value === undefined ? "0" : `${Math.max(0, Math.min(10, value)) * 10}%`;
    $("value-" + name).textContent = value === undefined ? "—" : value.toFixed(1);
  }
}

function drawActivity(frames) {
  activity = activity.concat(frames).slice(-600);  // 600 frames of 20 ms = 12 s
  const canvas = $("activity"), g = canvas.getContext("2d");
  g.clearRect(0, 0, canvas.width, canvas.height);
  const w = canvas.width / 600;
  activity.forEach((speech, i) => {
    g.fillStyle = speech ? "#2b6cb0" : "#cfd8e3";
    g.fillRect(i * w, speech ? 4 : 16, Math.ceil(w), speech ? 32 : 8);
  });
}

function show(event) {
  if (event.session) {
    setStatus(`Listening… (session ${event.session.id ?? "not stored"})`);
  } else if (event.estimate) {
    const e = event.estimate;
    drawBars(e.scores);
    $("unscored").textContent = e.scores ? "" : (e.unscored_reason ? `No scores yet: ${e.unscored_reason}.` : "");
    // The utterance being spoken (its final words and the one forming); ended utterances are in "final".
    $("partial").textContent = e.partial || "";
    drawActivity(e.frame_speech || []);
    const w = e.window;
    $("pauses").textContent = `${w.silent_pauses_per_minute.toFixed(1)} silent pauses a minute (mean ${w.mean_pause_s.toFixed(2)} s), ` +
      `speech rate ${w.speech_rate.toFixed(2)} syllables/s, ${(100 * w.phonation_time_ratio).toFixed(0)}% speaking`;
    showMispronounced(e.read_aloud, e.omitted_words);
  } else if (event.utterance) {
    const text = (event.utterance.words || []).map((w) => w.text).join(" ");
    if (text) $("final").textContent += ($("final").textContent ? " " : "") + text;
  } else if (event.summary) {
    const s = event.summary;
    summarised = true;
    drawBars(s.scores);
    $("scores-span").textContent = "(whole session)";
    $("final").textContent = s.transcript || $("final").textContent;
    $("partial").textContent = "";
    showMispronounced(s.read_aloud, null);
    setStatus(`Session ${event.session_id ?? ""} ${event.status}: ${s.audio_s.toFixed(1)} s, ${s.words} words` +
      (event.error ? ` (${event.error})` : "") + ".");
    loadSessions();
  }
}

function showMispronounced(readAloud, omitted) {
  if (!readAloud) return;
  const words = readAloud.likely_mispronounced || [];
  const box = $("mispronounced");
  box.textContent = words.length ? words.join(", ") : "None so far.";
  box.className = words.length ? "bad" : "muted";
  if (omitted && omitted.length) box.textContent += ` · skipped: ${omitted.join(", ")}`;
  const unreached = readAloud.not_reached || [];
  if (unreached.length) box.textContent += ` · not reached: ${unreached.join(", ")}`;
}

async function start() {
  $("start").disabled = true;
  $("final").textContent = "";
  $("partial").textContent = "";
  $("scores-span").textContent = "(last 30 s)";
  activity = [];
  summarised = false;
  // A browser hides why a WebSocket was refused (it reports 1006): ask first whether the token is needed or wrong.
  const check = await fetch("/v1/sessions", { headers: authHeaders() }).catch(() => null);
  if (check && check.status === 401) {
    setStatus(token() ? "The server refused this access token: check it and type it again above." : "This server needs its access token: type it above.");
    $("start").disabled = false;
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false } });
  } catch (error) {
    setStatus(`No microphone: ${error.message}`);
    $("start").disabled = false;
    return;
  }
  context = new AudioContext();
  const rate = $("native-rate").checked ? context.sampleRate : 16000;
  await context.audioWorklet.addModule("/static/capture-worklet.js");
  const node = new AudioWorkletNode(context, "capture-processor", { processorOptions: { targetRate: rate } });
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  // Browsers cannot send Authorization on a WebSocket: the token travels as a subprotocol.
  const url = `${scheme}//${location.host}/v1/stream`;
  socket = token() ? new WebSocket(url, ["proscore", `bearer.${token()}`]) : new WebSocket(url);
  socket.binaryType = "arraybuffer";
  socket.onopen = () => {
    const start = { sample_rate: rate, encoding: "pcm_s16le", channels: 1 };
    const reference = $("reference").value.trim();
    if (reference) start.reference = reference;
    const learner = $("learner").value.trim();
    if (learner) start.learner = learner;
    socket.send(JSON.stringify(start));
    node.port.onmessage = (message) => { if (socket.readyState === WebSocket.OPEN) socket.send(message.data); };
    context.createMediaStreamSource(stream).connect(node);
    $("stop").disabled = false;
    setStatus("Connected.");
  };
  socket.onmessage = (message) => show(JSON.parse(message.data));
  socket.onclose = (close) => {
    if (close.code !== 1000) {
      setStatus(`Closed: ${close.reason || "connection lost"} (code ${close.code}).`);
    } else if (!summarised) {
      // A normal close without a summary: the server's reason (say, nothing was recorded), else it was stopped.
      setStatus(close.reason ? `Closed: ${close.reason}.`
        : "The server ended the stream before scoring it (it may have been stopped); what it heard is kept in its past sessions.");
      loadSessions();
    }
    finish();
  };
}

function stop() {
  $("stop").disabled = true;
  if (stream) stream.getTracks().forEach((t) => t.stop());
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "stop" }));
  setStatus("Scoring what was heard…");
}

function finish() {
  if (stream) stream.getTracks().forEach((t) => t.stop());
  if (context) context.close();
  stream = null; context = null; socket = null;
  $("start").disabled = false;
  $("stop").disabled = true;
}

/** The access token typed into the page (kept for this tab only). */
function token() {
  return $("token").value.trim();
}

function authHeaders() {
  return token() ? { Authorization: `Bearer ${token()}` } : {};
}

/** A past session's report; with a token it is fetched with the header and shown from memory. */
async function openReport(event, id) {
  if (!token()) return;
  event.preventDefault();
  const response = await fetch(`/v1/sessions/${id}/report`, { headers: authHeaders() });
  if (!response.ok) { setStatus(`The report could not be loaded (${response.status}).`); return; }
  window.open(URL.createObjectURL(new Blob([await response.text()], { type: "text/html" })), "_blank");
}

async function loadSessions() {
  const response = await fetch("/v1/sessions", { headers: authHeaders() });
  if (response.status === 401) { setStatus("This server needs its access token: type it above."); return; }
  if (!response.ok) return;
  const list = $("sessions");
  list.textContent = "";
  for (const s of (await response.json()).slice(0, 20)) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/v1/sessions/${s.id}/report`;
    link.onclick = (event) => openReport(event, s.id);
    link.textContent = `Session ${s.id}`;
    item.append(link, (s.learner ? ` · ${s.learner}` : "") + ` · ${new Date(s.started_at).toLocaleString()} · ${s.audio_s.toFixed(1)} s · ${s.status}` +
      (s.total !== undefined ? ` · total ${s.total.toFixed(1)}` : ""));
    list.append(item);
  }
}

$("token").value = sessionStorage.getItem("proscore-token") || "";
$("learner").value = localStorage.getItem("proscore-learner") || "";
$("learner").onchange = () => localStorage.setItem("proscore-learner", $("learner").value.trim());
$("token").onchange = () => { sessionStorage.setItem("proscore-token", token()); loadSessions(); };
$("start").onclick = start;
$("stop").onclick = stop;
drawBars(null);
loadSessions();
