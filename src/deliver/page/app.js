// The staff app: log in, see open alarms live, acknowledge and resolve.
// Plain JavaScript served by the device; no outside resources.
"use strict";

const TEXTS = {
  da: {
    login_title: "Log ind", name: "Navn", password: "Adgangskode", login: "Log ind", logout: "Log ud",
    open_alarms: "Åbne alarmer", no_alarms: "Ingen åbne alarmer.", acknowledge: "Kvittér", resolve: "Afslut",
    outcome: "Hvad skete der?", raised: "Ny", acknowledged: "Kvitteret af", connected: "Forbundet", reconnecting: "Forbinder igen …",
    device_offline: "Enheden svarer ikke: alarmer kan ikke nå frem. Gå til beboerne, og tilkald teknisk hjælp.",
    deaf: "Denne telefon modtager ingen alarmer. Log ind igen.",
    deaf_stream: "Alarmerne når ikke frem til denne telefon: forbindelsen er væk. Prøver igen …",
    to_all: "til alle", room: "Stue", your_rooms: "stue", all_rooms: "alle stuer",
    kinds: { fall: "Fald", on_floor: "Ligger på gulvet", bed_edge: "Sidder på sengekanten", bed_exit: "Ude af sengen", room_exit: "Har forladt stuen", inactivity: "Ingen bevægelse", seizure: "Krampeanfald", several_persons: "Flere personer", scream: "Skrig", distress: "Gråd eller støn", calling: "Råber", impact: "Bump eller brag", glass_breaking: "Glas der knuses", smoke_alarm: "Røgalarm", coughing: "Hosteanfald", breathing: "Vejrtrækningsbesvær", camera_silent: "Kamera svarer ikke", microphone_silent: "Mikrofon svarer ikke", model_failed: "Analysen fejler", pipeline_stalled: "Analysen er gået i stå", disk_nearly_full: "Disken er næsten fuld", outlet_down: "Kaldeanlægget nås ikke", storage_failing: "Databasen kan ikke skrives", records_tampered: "Journalen er ændret uden om systemet", device_offline: "Stuens enhed svarer ikke", bed_mat: "Sengemåtte", door_contact: "Dørkontakt" },
    levels: { alarm: "alarm", warning: "advarsel" },
    refused: "Afvist:", representatives: "Værger og fuldmægtige", add_representative: "Tilføj værge/fuldmægtig",
    representative_name: "Navn på værge eller fremtidsfuldmægtig", representative_role: "Værge eller fremtidsfuldmægtig? (værge/fuldmægtig)",
    representative_personal: "Omfatter mandatet personlige forhold? (ja/nej)", end_mandate: "Afslut mandat", mandate_end_reason: "Hvorfor ophører mandatet?",
    roles: { guardian: "værge", attorney: "fremtidsfuldmægtig" }, personal: "personlige forhold", mandate_ended: "ophørt", none_recorded: "Ingen registreret",
    oppose: "Registrér indsigelse", opposed_by: "Hvem gør indsigelse? (resident, eller værgens/fremtidsfuldmægtigens id, fx rep-1)",
    disclose: "Registrér AI-oplysning", disclosed_how: "Hvordan blev der oplyst om AI? (fx mundtligt med folder)",
    stop_basis: "Stop grundlaget", stop_reason: "Hvorfor stoppes grundlaget? (behovet er ophørt …)",
    record_basis: "Registrér grundlag", basis_title: "Nyt grundlag for", basis_id: "Grundlagets id", basis_type: "Hjemmel",
    basis_kinds: "Teknologier", basis_signals: "Signaler der må bruges (dataminimering)", basis_alarm: "Reaktiv alarm",
    basis_minutes: "Tidsbegrænset tilsyn, minutter pr. kig (0: ikke tilladt)", basis_start: "Gælder fra", basis_end: "Gælder til (§ 128 b: højst 12 måneder)",
    basis_informed: "Borgeren oplyst den", basis_consent: "Samtykke givet den (kun samtykke)", basis_heard: "Partshøring: hvem blev hørt (§ 128 b): resident eller repræsentantens id",
    basis_heard_at: "Hørt den", basis_documents: "Sagens dokumenter (henvisninger)", doc_diagnosis: "Diagnose", doc_earlier: "Tidligere indsatser",
    doc_plan: "Handleplan", doc_skema3: "Skema 3", basis_dpia: "Konsekvensanalyse (DPIA): \"not-needed\" eller henvisning", basis_dpia_at: "Vurderet den", basis_target: "Målgruppe (R1.1)", target_reduced: "Betydelig og varigt nedsat psykisk funktionsevne (§ 124 a)", target_progressive: "Erhvervet, fremadskridende mental svækkelse, fx demens (§ 136 b)", basis_target_ref: "Dokumenteret i (henvisning)", basis_purposes: "Formål (R8.1)", purpose_injury: "Risiko for personskade", purpose_safety: "Tryghed og sikkerhed", purpose_dignity: "Værdighed", purpose_care: "Omsorg", basis_catalogue: "Indsatskatalog (R14)", item_sensor: "Sensoralarm og gulvmåtte", item_door: "Døralarm", item_seizure: "Anfaldsalarm", item_gps: "GPS", basis_beyond: "Ud over kataloget: henvisning til den individuelle vurdering",
    basis_save: "Gem grundlaget", basis_saved: "Grundlaget er gemt",
    kind_names: { video: "video", sound: "lyd", movement: "bevægelse", location: "lokalisering" },
    residents: "Beboere", look: "Se silhuet", look_title: "Silhuet", close: "Luk", look_reason: "Hvorfor vil du se ind? (bliver logget)",
    look_minutes: "Hvor mange minutter?", minutes_left: "min tilbage", no_look: "Grundlaget tillader ikke tilsyn",
    seen_in: { alarm: "under alarmen", look: "under dit kig" }, device_ok: "Enheden virker", device_fault: "Enheden:",
    postures: { standing: "står", walking: "går", sitting: "sidder", sitting_on_bed: "sidder i sengen", sitting_on_bed_edge: "sidder på sengekanten", lying_in_bed: "ligger i sengen", lying_on_floor: "ligger på gulvet", kneeling_or_crawling: "knæler eller kravler", not_in_view: "ikke i billedet" },
    certificate: (c) => c ? `Enhedens certifikat (SHA-256): ${c.fingerprint}, for ${c.names.join(", ")}. Tjek fingeraftrykket på hver telefon, før den stoler på det.` : "Personaleappen kører uden TLS, kun på denne maskine.",
    camera: (c) => c.learnt ? `Kameraet ser ${Math.round(c.pitch_deg)}° ned (lært af ${c.standing_frames} billeder af stående personer)` : "Kameraets hældning er ikke lært endnu: den læres, når en person står helt i billedet.",
    legal: (r) => r.legal.tampered ? `Optegnelsen er ændret uden om tryghed, intet kører: ${r.legal.tampered}` : r.legal.kinds.length ? `Grundlag ${r.legal.basis_id}: ${r.legal.kinds.join(", ")}${r.legal.ai_disclosed ? ", AI oplyst" : ""}` : "Intet gyldigt grundlag: intet kører",
  },
  en: {
    login_title: "Log in", name: "Name", password: "Password", login: "Log in", logout: "Log out",
    open_alarms: "Open alarms", no_alarms: "No open alarms.", acknowledge: "Acknowledge", resolve: "Resolve",
    outcome: "What happened?", raised: "New", acknowledged: "Acknowledged by", connected: "Connected", reconnecting: "Reconnecting …",
    device_offline: "The device is not answering: alarms cannot get through. Go to the residents and call for technical help.",
    deaf: "This phone receives no alarms. Log in again.",
    deaf_stream: "Alarms are not reaching this phone: the connection is lost. Trying again …",
    to_all: "to all", room: "Room", your_rooms: "room", all_rooms: "every room",
    kinds: { fall: "Fall", on_floor: "Lying on the floor", bed_edge: "Sitting on the bed edge", bed_exit: "Out of bed", room_exit: "Left the room", inactivity: "No movement", seizure: "Seizure", several_persons: "Several persons", scream: "Scream", distress: "Crying or moaning", calling: "Calling out", impact: "Thud or crash", glass_breaking: "Glass breaking", smoke_alarm: "Smoke alarm", coughing: "Coughing fit", breathing: "Breathing trouble", camera_silent: "Camera not answering", microphone_silent: "Microphone not answering", model_failed: "Analysis failing", pipeline_stalled: "Analysis stalled", disk_nearly_full: "Disk nearly full", outlet_down: "Nurse-call link down", storage_failing: "Storage failing", records_tampered: "Records changed outside tryghed", device_offline: "Room device offline", bed_mat: "Bed mat", door_contact: "Door contact" },
    levels: { alarm: "alarm", warning: "warning" },
    refused: "Refused:", representatives: "Guardians and attorneys", add_representative: "Add a guardian/attorney",
    representative_name: "Name of the guardian or attorney", representative_role: "Guardian or attorney? (guardian/attorney)",
    representative_personal: "Does the mandate cover personal matters? (yes/no)", end_mandate: "End the mandate", mandate_end_reason: "Why does the mandate end?",
    roles: { guardian: "guardian", attorney: "attorney" }, personal: "personal matters", mandate_ended: "ended", none_recorded: "None recorded",
    oppose: "Record an opposition", opposed_by: "Who opposes? (resident, or the guardian's or attorney's id, e.g. rep-1)",
    disclose: "Record the AI disclosure", disclosed_how: "How were they told that AI is used?",
    stop_basis: "Stop the basis", stop_reason: "Why does the basis stop? (the need has ended …)",
    record_basis: "Record a basis", basis_title: "New basis for", basis_id: "Basis id", basis_type: "Legal basis",
    basis_kinds: "Technologies", basis_signals: "Signals that may be used (data minimisation)", basis_alarm: "Reactive alarm",
    basis_minutes: "Time-bounded supervision, minutes per look (0: not allowed)", basis_start: "From", basis_end: "Until (§ 128 b: at most 12 months)",
    basis_informed: "Resident informed on", basis_consent: "Consent given on (consent only)", basis_heard: "Hearing: who was heard (§ 128 b): resident or the representative's id",
    basis_heard_at: "Heard on", basis_documents: "Case documents (references)", doc_diagnosis: "Diagnosis", doc_earlier: "Earlier efforts",
    doc_plan: "Action plan", doc_skema3: "Skema 3", basis_dpia: "Impact assessment (DPIA): \"not-needed\" or a reference", basis_dpia_at: "Assessed on", basis_target: "Target group (R1.1)", target_reduced: "Significant, lasting reduction of mental function (§ 124 a)", target_progressive: "Acquired, progressive mental decline such as dementia (§ 136 b)", basis_target_ref: "Documented in (reference)", basis_purposes: "Purpose (R8.1)", purpose_injury: "Risk of personal injury", purpose_safety: "Safety", purpose_dignity: "Dignity", purpose_care: "Care", basis_catalogue: "Catalogue of grants (R14)", item_sensor: "Sensor alarm and floor mat", item_door: "Door alarm", item_seizure: "Seizure alarm", item_gps: "GPS", basis_beyond: "Beyond the catalogue: reference to the individual assessment",
    basis_save: "Save the basis", basis_saved: "The basis is saved",
    kind_names: { video: "video", sound: "sound", movement: "movement", location: "location" },
    residents: "Residents", look: "See silhouette", look_title: "Silhouette", close: "Close", look_reason: "Why do you want to look in? (this is logged)",
    look_minutes: "How many minutes?", minutes_left: "min left", no_look: "The basis allows no supervision",
    seen_in: { alarm: "during the alarm", look: "during your look" }, device_ok: "The device works", device_fault: "The device:",
    postures: { standing: "standing", walking: "walking", sitting: "sitting", sitting_on_bed: "sitting in bed", sitting_on_bed_edge: "on the bed edge", lying_in_bed: "lying in bed", lying_on_floor: "lying on the floor", kneeling_or_crawling: "kneeling or crawling", not_in_view: "not in view" },
    certificate: (c) => c ? `The device's certificate (SHA-256): ${c.fingerprint}, for ${c.names.join(", ")}. Check the fingerprint on each phone before it trusts it.` : "The staff app runs without TLS, on this machine only.",
    camera: (c) => c.learnt ? `The camera looks ${Math.round(c.pitch_deg)}° down (learnt from ${c.standing_frames} frames of people standing)` : "The camera's tilt is not learnt yet: it is learnt when a person stands whole in view.",
    legal: (r) => r.legal.tampered ? `The record was changed outside tryghed, nothing runs: ${r.legal.tampered}` : r.legal.kinds.length ? `Basis ${r.legal.basis_id}: ${r.legal.kinds.join(", ")}${r.legal.ai_disclosed ? ", AI disclosed" : ""}` : "No valid basis: nothing runs",
  },
};

// Posture icons: a stick pictogram per posture, drawn here (no image, no font needed).
const SHAPES = {
  upright: [[12, 4], "M12 7V15L9 22M12 15L15 22M8 10H16"],
  sitting: [[9, 4], "M9 7V14H16V21M9 10H14"],
  lying: [[4, 15], "M7 15H21M12 15L14 12"],
  kneeling: [[10, 5], "M10 8V15V19H17M10 11H15"],
};
const SHAPE_OF = { standing: "upright", walking: "upright", sitting: "sitting", sitting_on_bed: "sitting", sitting_on_bed_edge: "sitting", lying_in_bed: "lying", lying_on_floor: "lying", kneeling_or_crawling: "kneeling" };
function icon(posture) {
  const shape = SHAPES[SHAPE_OF[posture]];
  const colour = posture === "lying_on_floor" ? "#b3261e" : "#233";
  if (!shape) return `<svg viewBox="0 0 24 24" width="36" height="36"><circle cx="12" cy="12" r="8" fill="none" stroke="#999" stroke-dasharray="3 3"/></svg>`;
  const [[x, y], path] = shape;
  return `<svg viewBox="0 0 24 24" width="36" height="36"><circle cx="${x}" cy="${y}" r="2.5" fill="${colour}"/><path d="${path}" fill="none" stroke="${colour}" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>`;
}
const PALETTE = ["#181e28", "#5678a0", "#f0f0f0", "#ffc43c"];
let language = localStorage.getItem("language") || "da";
let residents = [];
let lookSource = null;
let lookTimer = null;
let lookId = null;
let residentsTimer = null;
let role = null;
let me = null;
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
  renderResidents();
  showWho();
  fillBasisChoices();
}

// Who is logged in and, for staff, the rooms they answer for (others'
// alarms reach them only when escalated to all staff).
function showWho() {
  if (!me) { $("who").textContent = ""; return; }
  const rooms = me.rooms.length ? `${t("your_rooms")} ${me.rooms.join(", ")}` : t("all_rooms");
  $("who").textContent = me.role === "staff" ? `${me.name} · ${rooms}` : me.name;
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", headers: { "Content-Type": "application/json" }, ...options });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    // A refusal names its rules in the page's language (422 carries both).
    const refused = (body.refusals || []).map((r) => `${r.rule}: ${language === "da" ? r.da : r.en}`);
    const message = refused.length ? `${t("refused")} ${refused.join("; ")}` : body.error || response.statusText;
    throw Object.assign(new Error(message), { status: response.status });
  }
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

// A device that has gone (power, network, a crash) cannot raise its own
// alarm, so the phone notices: no answer for OFFLINE_AFTER_MS is a loud
// warning, repeated every minute until the device answers again (R13).
const CHECK_EVERY_MS = 5000;
const OFFLINE_AFTER_MS = 15000;
let lastAnswer = Date.now();
let offlineSignalled = 0;

async function checkDevice() {
  if (!me) return;
  try {
    const response = await fetch("/health", { cache: "no-store", signal: AbortSignal.timeout(4000) });
    if (!response.ok) throw new Error(response.statusText);
    lastAnswer = Date.now();
    offlineSignalled = 0;
    $("offline").hidden = true;
  } catch (_) {
    if (Date.now() - lastAnswer < OFFLINE_AFTER_MS) return;
    $("offline").hidden = false;
    if (Date.now() - offlineSignalled >= 60000) {
      offlineSignalled = Date.now();
      signal({ level: "alarm" });
    }
  }
}
setInterval(checkDevice, CHECK_EVERY_MS);

// A phone that stops receiving alarms without its user asking (the device
// restarted, the session expired or was ended, the alarm stream is gone)
// says so loudly, and again every minute, until it receives them again.
const seesAlarms = (user) => user && (user.role === "staff" || user.role === "auditor");
let deafSignalled = 0;
let streamDownSince = null;

function deaf(reason, loud) {
  const banner = $("deaf");
  banner.dataset.text = reason;
  banner.textContent = t(reason);
  banner.hidden = false;
  banner.dataset.loud = loud ? "yes" : "";
  if (loud && Date.now() - deafSignalled >= 60000) {
    deafSignalled = Date.now();
    signal({ level: "alarm" });
  }
}

function hearing() {
  $("deaf").hidden = true;
  $("deaf").dataset.loud = "";
  deafSignalled = 0;
  streamDownSince = null;
}

async function watchHearing() {
  const banner = $("deaf");
  if (!me) {
    // Logged out: keep repeating what the banner says, if it was not asked for.
    if (!banner.hidden && banner.dataset.loud) deaf(banner.dataset.text, true);
    return;
  }
  if (!seesAlarms(me)) return;
  try {
    await api("/api/me");
  } catch (error) {
    if (error.status === 401) showLogin("lost");
    return;
  }
  // EventSource retries by itself, but gives up for good on an error answer.
  if (source && source.readyState === EventSource.CLOSED) listen();
  if (source && source.readyState === EventSource.OPEN) {
    streamDownSince = null;
    if (banner.dataset.text === "deaf_stream") hearing();
  } else {
    streamDownSince ??= Date.now();
    if (Date.now() - streamDownSince >= OFFLINE_AFTER_MS) deaf("deaf_stream", true);
  }
}
setInterval(watchHearing, CHECK_EVERY_MS);

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

function renderResidents() {
  const list = $("residents");
  list.replaceChildren();
  for (const resident of residents) {
    const card = $("resident-card").content.firstElementChild.cloneNode(true);
    card.dataset.id = resident.id;
    card.querySelector(".posture-icon").innerHTML = icon(resident.posture);
    card.querySelector(".name").textContent = resident.name;
    card.querySelector(".room").textContent = `${t("room")} ${resident.room}`;
    // The posture comes only inside an alarm or this user's own look (R3.2).
    card.querySelector(".posture").textContent = resident.posture
      ? `${TEXTS[language].postures[resident.posture] || resident.posture} (${TEXTS[language].seen_in[resident.seen_in] || ""})`
      : "";
    const faults = resident.device.faults.map((kind) => TEXTS[language].kinds[kind] || kind);
    card.querySelector(".device").textContent = faults.length ? `${t("device_fault")} ${faults.join(", ")}` : t("device_ok");
    card.querySelector(".legal").textContent = TEXTS[language].legal(resident);
    card.classList.toggle("tampered", Boolean(resident.legal.tampered));
    const ask = card.querySelector(".ask-look");
    ask.textContent = t("look");
    const max = resident.legal.supervision_max_minutes;
    ask.disabled = !max;
    ask.title = max ? "" : t("no_look");
    ask.onclick = () => askLook(resident, max);
    // Case officers record what cannot wait; staff look; each sees only their own.
    ask.hidden = role !== "staff";
    const officer = role === "case_officer";
    const action = (selector, question, path, body) => {
      const button = card.querySelector(selector);
      button.textContent = t(button.dataset.text);
      button.hidden = !officer || (selector === ".stop-basis" && !resident.legal.basis_id);
      button.onclick = async () => {
        const answer = (window.prompt(t(question)) || "").trim();
        if (!answer) return;
        try { await api(path, { method: "POST", body: JSON.stringify(body(answer)) }); await loadResidents(); } catch (error) { report(error); }
      };
    };
    action(".oppose", "opposed_by", `/api/residents/${encodeURIComponent(resident.id)}/opposition`, (by) => ({ by }));
    action(".disclose", "disclosed_how", `/api/residents/${encodeURIComponent(resident.id)}/disclosure`, (how) => ({ informed: "resident", how }));
    const record = card.querySelector(".record-basis");
    record.textContent = t("record_basis");
    record.hidden = !officer;
    record.onclick = () => openBasisForm(resident);
    const representatives = card.querySelector(".show-representatives");
    representatives.textContent = t("representatives");
    representatives.hidden = !officer;
    representatives.onclick = () => showRepresentatives(resident, card);
    if (officer && shownRepresentatives.has(resident.id)) drawRepresentatives(resident, card);
    action(".stop-basis", "stop_reason", `/api/bases/${encodeURIComponent(resident.legal.basis_id || "")}/stop`, (reason) => ({ reason }));
    list.append(card);
  }
}

// A resident's guardians and attorneys with the ids every record refers
// to them by; the case officer adds one or ends a mandate (each audited).
// Fetched (a case-file read, on record) when opened or changed, and kept
// while the cards are redrawn.
const shownRepresentatives = new Map();
const ROLES = { værge: "guardian", guardian: "guardian", fuldmægtig: "attorney", fremtidsfuldmægtig: "attorney", attorney: "attorney" };

async function showRepresentatives(resident, card) {
  try {
    const file = (await api(`/api/residents/${encodeURIComponent(resident.id)}/case`)).case;
    shownRepresentatives.set(resident.id, file.resident.representatives);
    drawRepresentatives(resident, card);
  } catch (error) { report(error); }
}

function drawRepresentatives(resident, card) {
  const path = `/api/residents/${encodeURIComponent(resident.id)}/representatives`;
  const change = async (body) => {
    try {
      await api(path, { method: "POST", body: JSON.stringify(body) });
      await showRepresentatives(resident, card);
      await loadResidents();
    } catch (error) { report(error); }
  };
  const lines = shownRepresentatives.get(resident.id).map((rep) => {
    const line = document.createElement("li");
    const scope = rep.covers_personal_matters ? `, ${t("personal")}` : "";
    const ended = rep.ended ? `, ${t("mandate_ended")} ${rep.ended.at.slice(0, 10)}` : "";
    line.textContent = `${rep.id}: ${rep.name} (${TEXTS[language].roles[rep.role]}${scope}${ended}) `;
    if (!rep.ended) {
      const end = document.createElement("button");
      end.textContent = t("end_mandate");
      end.onclick = () => {
        const reason = (window.prompt(t("mandate_end_reason")) || "").trim();
        if (reason) change({ change: "end", representative: rep.id, reason });
      };
      line.append(end);
    }
    return line;
  });
  const add = document.createElement("button");
  add.textContent = t("add_representative");
  add.onclick = () => {
    const name = (window.prompt(t("representative_name")) || "").trim();
    const role = ROLES[(window.prompt(t("representative_role")) || "").trim().toLowerCase()];
    if (!name) return;
    if (!role) { report(new Error(t("representative_role"))); return; }
    const personal = /^(ja|j|yes|y)$/.test((window.prompt(t("representative_personal")) || "").trim().toLowerCase());
    change({ change: "add", name, role, covers_personal_matters: personal });
  };
  const none = document.createElement("li");
  none.textContent = t("none_recorded");
  const list = card.querySelector(".representatives");
  const adding = document.createElement("li");
  adding.append(add);
  list.replaceChildren(...(lines.length ? lines : [none]), adding);
  list.hidden = false;
}

// The case officer's form for a new legal basis. The device checks it
// against the law and answers with the rules it breaks, shown as they are.
let catalogue = null;
let basisFor = null;
// A date as the YYYY-MM-DD of a date field, in local time.
const day = (date) => new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
// A date field as the local midnight it names, or null when empty.
const dateField = (id) => $(id).value ? new Date($(id).value + "T00:00").toISOString() : null;

function fillBasisChoices() {
  if (!catalogue) return;
  const types = { consent: "Samtykke / consent", sel136e: "SEL § 136 e", sel128b: "SEL § 128 b", "sel128b-unlimited": "SEL § 128 b, jf. § 136 e stk. 5" };
  const chosenType = $("basis-type").value;
  $("basis-type").replaceChildren(...catalogue.basis_types.map((type) => Object.assign(document.createElement("option"), { value: type.id, textContent: types[type.id] || type.name })));
  if (chosenType) $("basis-type").value = chosenType;
  const box = (name, value, label) => {
    const wrap = Object.assign(document.createElement("label"), { className: "check" });
    const input = Object.assign(document.createElement("input"), { type: "checkbox", name, value });
    wrap.append(input, " ", label);
    return wrap;
  };
  const ticked = (name) => new Set([...document.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value));
  const [kinds, signals] = [ticked("kind"), ticked("signal")];
  const legend = (id) => $(id).querySelector("legend");
  $("basis-kinds").replaceChildren(legend("basis-kinds"), ...catalogue.kinds.map((kind) => box("kind", kind, TEXTS[language].kind_names[kind] || kind)));
  $("basis-signals").replaceChildren(legend("basis-signals"), ...catalogue.signals.map((s) => box("signal", s.name, `${TEXTS[language].kinds[s.name] || s.name} (${TEXTS[language].kind_names[s.kind] || s.kind})`)));
  for (const input of document.querySelectorAll("input[name=kind]")) input.checked = kinds.has(input.value);
  for (const input of document.querySelectorAll("input[name=signal]")) input.checked = signals.has(input.value);
}

async function openBasisForm(resident) {
  try {
    if (!catalogue) catalogue = await api("/api/catalogue");
  } catch (error) { report(error); return; }
  basisFor = resident;
  $("basis-form").reset();
  $("basis-resident").textContent = `${resident.name} (${t("room")} ${resident.room})`;
  $("basis-id").value = `${resident.id}-${day(new Date())}`;
  $("basis-start").value = day(new Date());
  $("basis-error").textContent = "";
  fillBasisChoices();
  $("basis-form").hidden = false;
  $("basis-form").scrollIntoView();
}

$("basis-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const values = (name) => [...document.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
  const text = (id) => $(id).value.trim() || null;
  const informed = dateField("basis-informed");
  const heard = text("basis-heard");
  const dpia = text("basis-dpia");
  const body = {
    id: $("basis-id").value.trim(),
    basis_type: $("basis-type").value,
    kinds: values("kind"),
    signals: values("signal"),
    reactive_alarm: $("basis-alarm").checked,
    supervision_max_minutes: Number($("basis-minutes").value) || null,
    // From today means from now: the time before may belong to another basis.
    start: $("basis-start").value === day(new Date()) ? new Date().toISOString() : dateField("basis-start"),
    end: dateField("basis-end"),
    consent_at: dateField("basis-consent"),
    informed: informed ? [{ who: "resident", at: informed }] : [],
    hearing: heard ? { heard, at: dateField("basis-heard-at") || dateField("basis-start") } : null,
    documents: { diagnosis: text("doc-diagnosis"), earlier_efforts: text("doc-earlier"), action_plan: text("doc-plan"), skema_3: text("doc-skema3") },
    dpia: dpia ? { outcome: dpia, at: dateField("basis-dpia-at") || dateField("basis-start") } : null,
    target_group: $("basis-target").value ? { ground: $("basis-target").value, reference: text("basis-target-ref") || "" } : null,
    purposes: values("purpose"),
    catalogue: values("catalogue"),
    beyond_catalogue: text("basis-beyond"),
  };
  try {
    await api(`/api/residents/${encodeURIComponent(basisFor.id)}/bases`, { method: "POST", body: JSON.stringify(body) });
    $("basis-form").hidden = true;
    $("connection").textContent = t("basis_saved");
    await loadResidents();
  } catch (error) {
    $("basis-error").textContent = error.message;
    if (error.status === 401) showLogin("lost");
  }
});
$("basis-cancel").onclick = () => { $("basis-form").hidden = true; };

async function loadResidents() {
  try {
    ({ residents } = await api("/api/residents"));
    renderResidents();
  } catch (error) { report(error); }
}

function drawSilhouette(view) {
  const canvas = $("silhouette");
  const context = canvas.getContext("2d");
  const cell = Math.floor(Math.min(canvas.width / view.width, canvas.height / view.height));
  context.fillStyle = PALETTE[0];
  context.fillRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < view.cells.length; i++) {
    const value = view.cells.charCodeAt(i) - 48;
    if (value <= 0) continue;
    context.fillStyle = PALETTE[value] || PALETTE[1];
    context.fillRect((i % view.width) * cell, Math.floor(i / view.width) * cell, cell, cell);
  }
}

// Closing the view ends the look itself: nothing of the room is shown
// for longer than the one who looks wants.
function closeLook() {
  if (lookSource) lookSource.close();
  lookSource = null;
  clearInterval(lookTimer);
  $("look").hidden = true;
  if (lookId) api(`/api/looks/${encodeURIComponent(lookId)}/end`, { method: "POST" }).then(loadResidents, report);
  lookId = null;
}

async function askLook(resident, max) {
  const reason = (window.prompt(t("look_reason")) || "").trim();
  if (!reason) return;
  const minutes = Math.max(1, Math.min(max, Number(window.prompt(t("look_minutes"), String(max))) || max));
  try {
    const { look, until } = await api("/api/looks", { method: "POST", body: JSON.stringify({ resident: resident.id, minutes, reason }) });
    closeLook();
    lookId = look;
    loadResidents();
    $("look").hidden = false;
    const ends = new Date(until);
    const left = () => { $("look-left").textContent = `(${Math.max(0, Math.ceil((ends - Date.now()) / 60000))} ${t("minutes_left")})`; };
    left();
    lookTimer = setInterval(left, 5000);
    lookSource = new EventSource(`/api/looks/${encodeURIComponent(look)}/view`);
    lookSource.addEventListener("silhouette", (event) => { const view = JSON.parse(event.data); if (view) drawSilhouette(view); });
    lookSource.addEventListener("end", () => { lookId = null; closeLook(); loadResidents(); });
  } catch (error) { report(error); }
}

function report(error) {
  $("connection").textContent = error.message;
  if (error.status === 401) showLogin("lost");
}

// A step the device could not store at once comes twice: at once, and
// again once stored. It is shown and sounded once, by its id.
const seenSteps = new Set();
function firstTime(step) {
  if (seenSteps.has(step.id)) return false;
  seenSteps.add(step.id);
  if (seenSteps.size > 1000) seenSteps.delete(seenSteps.values().next().value);
  return true;
}

function apply(step) {
  if (!firstTime(step)) return;
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

async function showBoard(user) {
  hearing();
  $("login").hidden = true;
  $("board").hidden = false;
  $("logout").hidden = false;
  me = user;
  role = me.role;
  lastAnswer = Date.now();
  showWho();
  clearInterval(residentsTimer);
  // Installers see no resident's data, only the device's own state.
  $("camera").hidden = role !== "installer";
  $("certificate").hidden = role !== "installer";
  if (role === "installer") {
    $("camera").textContent = t("camera")(await api("/api/camera"));
    $("certificate").textContent = t("certificate")((await api("/api/certificate")).certificate);
  } else {
    await loadResidents();
    residentsTimer = setInterval(loadResidents, 5000);
  }
  // Alarms are for staff (and auditors, who read); case officers see residents.
  $("alarm-board").hidden = !seesAlarms(me);
  if (!seesAlarms(me)) return;
  const { alarms: open, place } = await api("/api/alarms");
  if (lastPlace === null) lastPlace = place;
  alarms.clear();
  for (const alarm of open) alarms.set(alarm.id, alarm);
  render();
  listen();
}

// `why`: "lost" when the session ended without the user asking, "logout"
// when she logged out; nothing on a first visit.
function showLogin(why) {
  if (seesAlarms(me) && why) deaf("deaf", why === "lost");
  if (source) source.close();
  closeLook();
  // Nothing the last user saw stays in the page for the next one.
  clearInterval(residentsTimer);
  $("residents").replaceChildren();
  alarms.clear();
  render();
  $("camera").hidden = true;
  $("certificate").hidden = true;
  $("basis-form").hidden = true;
  $("offline").hidden = true;
  $("board").hidden = true;
  $("logout").hidden = true;
  me = null;
  showWho();
  $("connection").textContent = "";
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

$("look-close").onclick = closeLook;
$("logout").onclick = async () => { await api("/api/logout", { method: "POST" }).catch(() => {}); showLogin("logout"); };
$("language").onchange = () => { language = $("language").value; localStorage.setItem("language", language); applyTexts(); };

applyTexts();
api("/api/me").then(showBoard).catch(() => showLogin());
