// The staff app: log in, see open alarms live, acknowledge and resolve.
// Plain JavaScript served by the device; no outside resources.
"use strict";

const TEXTS = {
  da: {
    login_title: "Log ind", name: "Navn", password: "Adgangskode", login: "Log ind", logout: "Log ud",
    open_alarms: "Åbne alarmer", no_alarms: "Ingen åbne alarmer.", acknowledge: "Kvittér", resolve: "Afslut",
    outcome: "Hvad skete der?", raised: "Ny", acknowledged: "Kvitteret af", connected: "Forbundet", reconnecting: "Forbinder igen …",
    to_all: "til alle", room: "Stue",
    kinds: { fall: "Fald", on_floor: "Ligger på gulvet", bed_edge: "Sidder på sengekanten", bed_exit: "Ude af sengen", room_exit: "Har forladt stuen", inactivity: "Ingen bevægelse", seizure: "Krampeanfald", several_persons: "Flere personer", scream: "Skrig", distress: "Gråd eller støn", calling: "Råber", impact: "Bump eller brag", glass_breaking: "Glas der knuses", smoke_alarm: "Røgalarm", coughing: "Hosteanfald", breathing: "Vejrtrækningsbesvær", camera_silent: "Kamera svarer ikke", microphone_silent: "Mikrofon svarer ikke", model_failed: "Analysen fejler", pipeline_stalled: "Analysen er gået i stå", disk_nearly_full: "Disken er næsten fuld" },
    levels: { alarm: "alarm", warning: "advarsel" },
  },
  en: {
    login_title: "Log in", name: "Name", password: "Password", login: "Log in", logout: "Log out",
    open_alarms: "Open alarms", no_alarms: "No open alarms.", acknowledge: "Acknowledge", resolve: "Resolve",
    outcome: "What happened?", raised: "New", acknowledged: "Acknowledged by", connected: "Connected", reconnecting: "Reconnecting …",
    to_all: "to all", room: "Room",
    kinds: { fall: "Fall", on_floor: "Lying on the floor", bed_edge: "Sitting on the bed edge", bed_exit: "Out of bed", room_exit: "Left the room", inactivity: "No movement", seizure: "Seizure", several_persons: "Several persons", scream: "Scream", distress: "Crying or moaning", calling: "Calling out", impact: "Thud or crash", glass_breaking: "Glass breaking", smoke_alarm: "Smoke alarm", coughing: "Coughing fit", breathing: "Breathing trouble", camera_silent: "Camera not answering", microphone_silent: "Microphone not answering", model_failed: "Analysis failing", pipeline_stalled: "Analysis stalled", disk_nearly_full: "Disk nearly full" },
    levels: { alarm: "alarm", warning: "warning" },
  },
};

let language = localStorage.getItem("language") || "da";
const alarms = new Map();
let source = null;
let lastPlace = null;

const $ = (id) => document.getElementById(id);
const t = (key) => TEXTS[language][key] ?? TEXTS.en[key] ?? key;

function applyTexts() {
  document.documentElement.lang = language;
  $("language").value = language;
  for (const el of document.querySelectorAll("[data-text]")) el.textContent = t(el.dataset.text);
  render();
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", headers: { "Content-Type": "application/json" }, ...options });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error || response.statusText), { status: response.status });
  return body;
}

function signal(alarm) {
  // Sound and vibration where the browser allows it (a phone in a pocket).
  if (navigator.vibrate) navigator.vibrate(alarm.level === "alarm" ? [400, 200, 400] : [200]);
  try {
    const context = new (window.AudioContext || window.webkitAudioContext)();
    const tone = context.createOscillator();
    tone.frequency.value = alarm.level === "alarm" ? 880 : 660;
    tone.connect(context.destination);
    tone.start();
    tone.stop(context.currentTime + 0.4);
  } catch (_) { /* no sound allowed yet: the card still shows */ }
}

function render() {
  const list = $("alarms");
  list.replaceChildren();
  const open = [...alarms.values()].sort((a, b) => (a.level === b.level ? a.raised_at.localeCompare(b.raised_at) : a.level === "alarm" ? -1 : 1));
  $("none").hidden = open.length > 0;
  for (const alarm of open) {
    const card = $("alarm-card").content.firstElementChild.cloneNode(true);
    card.dataset.id = alarm.id;
    card.classList.add(`level-${alarm.level}`, `state-${alarm.state.state}`);
    card.querySelector(".kind").textContent = TEXTS[language].kinds[alarm.kind] || alarm.kind;
    card.querySelector(".room").textContent = `${t("room")} ${alarm.room}`;
    card.querySelector(".level").textContent = `(${TEXTS[language].levels[alarm.level] || alarm.level}${alarm.escalated ? ", " + t("to_all") : ""})`;
    const when = new Date(alarm.raised_at).toLocaleTimeString(language);
    card.querySelector(".state").textContent = alarm.state.state === "acknowledged" ? `${t("acknowledged")} ${alarm.state.by}` : `${t("raised")} ${when}`;
    for (const el of card.querySelectorAll("[data-text]")) el.textContent = t(el.dataset.text);
    const ack = card.querySelector(".acknowledge");
    const outcome = card.querySelector(".outcome");
    const resolve = card.querySelector(".resolve");
    outcome.placeholder = t("outcome");
    if (alarm.state.state === "acknowledged") {
      ack.hidden = true;
      outcome.hidden = false;
      resolve.hidden = false;
    }
    ack.onclick = () => api(`/api/alarms/${encodeURIComponent(alarm.id)}/acknowledge`, { method: "POST" }).catch(report);
    resolve.onclick = () => {
      if (!outcome.value.trim()) { outcome.focus(); return; }
      api(`/api/alarms/${encodeURIComponent(alarm.id)}/resolve`, { method: "POST", body: JSON.stringify({ outcome: outcome.value.trim() }) }).catch(report);
    };
    list.append(card);
  }
}

function report(error) {
  $("connection").textContent = error.message;
  if (error.status === 401) showLogin();
}

function apply(step) {
  if (step.type === "end") alarms.delete(step.alarm.id);
  else alarms.set(step.alarm.id, step.alarm);
  if (step.reason === "raised" || step.reason === "repeat" || step.reason === "escalated") signal(step.alarm);
  render();
}

function listen() {
  if (source) source.close();
  source = new EventSource(lastPlace === null ? "/api/events" : `/api/events?after=${lastPlace}`);
  source.onopen = () => { $("connection").textContent = t("connected"); };
  source.addEventListener("step", (event) => { lastPlace = Number(event.lastEventId); apply(JSON.parse(event.data)); });
  source.onerror = () => { $("connection").textContent = t("reconnecting"); };
}

async function showBoard(me) {
  $("login").hidden = true;
  $("board").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = me.name;
  const { alarms: open } = await api("/api/alarms");
  alarms.clear();
  for (const alarm of open) alarms.set(alarm.id, alarm);
  render();
  listen();
}

function showLogin() {
  if (source) source.close();
  $("board").hidden = true;
  $("logout").hidden = true;
  $("who").textContent = "";
  $("login").hidden = false;
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    const { user } = await api("/api/login", { method: "POST", body: JSON.stringify({ name: $("name").value, password: $("password").value }) });
    $("password").value = "";
    await showBoard(user);
  } catch (error) {
    $("login-error").textContent = error.message;
  }
});

$("logout").onclick = async () => { await api("/api/logout", { method: "POST" }).catch(() => {}); showLogin(); };
$("language").onchange = () => { language = $("language").value; localStorage.setItem("language", language); applyTexts(); };

applyTexts();
api("/api/me").then(showBoard).catch(showLogin);
