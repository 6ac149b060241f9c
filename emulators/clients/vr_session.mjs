// A real VR session with the official Firebase JS SDK (npm `firebase`, modular API), as a
// tablet app and 50 headset apps would run it: one Node process, one Firebase app per
// device. Driven by tests/vr/test_real_clients.py and bench/vr.py; prints one JSON object.
//
// Input (environment): FIRESTORE_EMULATOR_HOST, FIREBASE_AUTH_EMULATOR_HOST,
// TRIVSEL_FUNCTIONS_URL, GOOGLE_CLOUD_PROJECT and VR_INPUT, a JSON object
// {email, password, client_id, film_id, headsets, commands, mode} (mode "test" or "bench").
//
// Everything the devices read and write goes through firestore.rules with their own
// tokens: the tablet a professional's password sign-in, each headset its custom token.

import { deleteApp, initializeApp } from "firebase/app";
import {
  connectAuthEmulator,
  getAuth,
  signInWithCustomToken,
  signInWithEmailAndPassword,
} from "firebase/auth";
import {
  addDoc,
  collection,
  connectFirestoreEmulator,
  doc,
  getFirestore,
  onSnapshot,
  orderBy,
  query,
  serverTimestamp,
  setDoc,
  where,
} from "firebase/firestore";

const input = JSON.parse(process.env.VR_INPUT);
const project = process.env.GOOGLE_CLOUD_PROJECT;
const api = process.env.TRIVSEL_FUNCTIONS_URL;
const [fsHost, fsPort] = process.env.FIRESTORE_EMULATOR_HOST.split(":");
const authHost = process.env.FIREBASE_AUTH_EMULATOR_HOST;

// What a headset app does (README "VR sessions"): beat every 4 s; the tablet shows a
// headset gone when it has heard nothing from it for 12 s (functions/vr/store.py ALIVE_WITHIN).
const HEARTBEAT_MS = 4000;
const GONE_AFTER_MS = 12000;

const T0 = Date.now();
const apps = [];
const errors = [];

// A device signs in first and only then opens Firestore, as an app does: a Firestore
// opened before the sign-in is known to it may send its first writes without the token.
async function device(name, signIn) {
  const app = initializeApp({ projectId: project, apiKey: "emulator" }, name);
  apps.push(app);
  const auth = getAuth(app);
  connectAuthEmulator(auth, `http://${authHost}`, { disableWarnings: true });
  const credential = await signIn(auth);
  const db = getFirestore(app);
  connectFirestoreEmulator(db, fsHost, Number(fsPort));
  return { app, auth, db, credential };
}

async function call(method, path, token, body) {
  const reply = await fetch(api + path, {
    method,
    headers: {
      "Content-Type": "application/json",
      // The classroom's network as the platform appends it: wrong pairing codes are
      // limited per address, and the loopback address is the API fuzzing's.
      "X-Forwarded-For": "203.0.113.8",
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await reply.text();
  return { status: reply.status, body: text ? JSON.parse(text) : null };
}

function waitFor(predicate, deadlineMs, label) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (predicate()) return resolve(Date.now() - started);
      if (Date.now() - started > deadlineMs) return reject(new Error(`timed out: ${label}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// ---- the tablet -----------------------------------------------------------------------
const tablet = await device("tablet", (auth) =>
  signInWithEmailAndPassword(auth, input.email, input.password),
);
const tabletToken = await tablet.auth.currentUser.getIdToken();
const opened = await call("POST", "/vr_api/sessions", tabletToken, { client_id: input.client_id });
if (opened.status !== 201) throw new Error(`open: ${JSON.stringify(opened)}`);
const session = opened.body;

// ---- 50 headsets pair over HTTP at once, sign in with their custom tokens ---------------
const count = input.headsets;
const pairings = await Promise.all(
  Array.from({ length: count }, () =>
    call("POST", "/vr_headset_api/pair", null, { code: session.pairing_code }),
  ),
);
const paired = pairings.filter((p) => p.status === 201).map((p) => p.body);
const tenantId = paired[0].tenant_id;
const sessionPath = `tenants/${tenantId}/vr_sessions/${session.id}`;
const refused = await call("POST", "/vr_headset_api/pair", null, { code: session.pairing_code });

const headsets = await Promise.all(
  paired.map(async (p, i) => {
    const d = await device(`headset-${i}`, (auth) => signInWithCustomToken(auth, p.custom_token));
    const claims = (await d.credential.user.getIdTokenResult()).claims;
    return { ...d, id: p.headset_id, claims, seen: new Map(), sinceWrite: new Map(), lastSeq: 0, beat: null };
  }),
);
const tokenClaimsConfined = headsets.every(
  (h) =>
    h.claims.vr_headset === true &&
    h.claims.tenant_id === tenantId &&
    h.claims.session_id === session.id &&
    h.claims.headset_id === h.id,
);

// ---- the tablet listens: presence (alive, acks) and the headsets' events (stops) -------
const heard = new Map(); // headset id -> {at: local ms of the last presence change, last_seq}
const stops = [];
onSnapshot(
  collection(tablet.db, `${sessionPath}/vr_presence`),
  (snap) => {
    for (const change of snap.docChanges()) {
      if (change.doc.metadata.hasPendingWrites) continue;
      heard.set(change.doc.id, { at: Date.now(), last_seq: change.doc.data().last_seq });
    }
  },
  (e) => errors.push(`tablet presence: ${e.code}`),
);
onSnapshot(
  collection(tablet.db, `${sessionPath}/vr_events`),
  (snap) => {
    for (const change of snap.docChanges()) {
      if (change.type === "added") stops.push({ ...change.doc.data(), heard: Date.now() });
    }
  },
  (e) => errors.push(`tablet events: ${e.code}`),
);
// The tablet's view of who is gone: silent for GONE_AFTER_MS by the tablet's own clock.
const gone = (id) => !heard.has(id) || Date.now() - heard.get(id).at > GONE_AFTER_MS;

// ---- each headset: presence heartbeat, its commands from its last sequence number ------
function beat(h) {
  return setDoc(doc(h.db, `${sessionPath}/vr_presence/${h.id}`), {
    seen_at: serverTimestamp(),
    last_seq: h.lastSeq,
  }).catch((e) => errors.push(`presence ${h.id} seq ${h.lastSeq} at ${Date.now() - T0}: ${e.code}`));
}
for (const h of headsets) {
  await beat(h);
  h.beat = setInterval(() => beat(h), HEARTBEAT_MS);
  const commands = query(
    collection(h.db, `${sessionPath}/vr_commands`),
    where("target", "in", ["all", h.id]),
    where("seq", ">", h.lastSeq),
    orderBy("seq"),
  );
  onSnapshot(
    commands,
    (snap) => {
      for (const change of snap.docChanges()) {
        if (change.type !== "added") continue;
        const command = change.doc.data();
        h.seen.set(command.seq, Date.now());
        h.sinceWrite.set(command.seq, Date.now() - command.written_at.toMillis());
        // Run it only if it has not expired (60 s, the server's clock), then acknowledge.
        if (command.expires_at.toMillis() > Date.now() && command.seq > h.lastSeq) {
          h.lastSeq = command.seq;
          beat(h);
        }
      }
    },
    (e) => errors.push(`commands ${h.id}: ${e.code}`),
  );
  onSnapshot(
    doc(h.db, sessionPath),
    () => {},
    (e) => errors.push(`session ${h.id}: ${e.code}`),
  );
}
await waitFor(() => headsets.every((h) => heard.has(h.id)), 30000, "all headsets present");

// ---- commands: the tablet plays, every headset's listener sees it ----------------------
async function command(body) {
  const sent = Date.now();
  const issued = await call("POST", `/vr_api/sessions/${session.id}/commands`, tabletToken, body);
  if (issued.status !== 201) throw new Error(`command: ${JSON.stringify(issued)}`);
  const seq = issued.body.seq;
  const answered = Date.now() - sent;
  await waitFor(() => headsets.every((h) => h.seen.has(seq)), 30000, `command ${seq} seen`);
  const latencies = headsets.map((h) => h.seen.get(seq) - sent);
  const sinceWrite = headsets.map((h) => h.sinceWrite.get(seq));
  return { seq, latencies, sinceWrite, answered };
}

const rounds = [];
for (let n = 0; n < input.commands; n++) {
  const body = n % 2 === 0 ? { action: "play", film_id: input.film_id } : { action: "pause" };
  rounds.push(await command(body));
}
const all = rounds.flatMap((r) => r.latencies);
const lastSeq = rounds[rounds.length - 1].seq;
const playSeenBy = headsets.filter((h) => h.seen.has(rounds[0].seq)).length;
await waitFor(
  () => headsets.every((h) => (heard.get(h.id)?.last_seq ?? 0) >= lastSeq),
  30000,
  "acknowledgements",
);

// A raw Firestore write by the tablet seen by one listener: the same-run baseline.
const baseline = [];
const baselineSinceWrite = [];
if (input.mode === "bench") {
  const probe = collection(tablet.db, `${sessionPath}/vr_headsets/${headsets[0].id}/vr_tablet_candidates`);
  const arrived = new Map();
  onSnapshot(
    collection(headsets[0].db, probe.path),
    (snap) => {
      for (const change of snap.docChanges()) {
        const writtenAt = change.doc.data({ serverTimestamps: "estimate" }).written_at;
        if (writtenAt == null) continue; // not a probe (the candidates of the session)
        arrived.set(change.doc.id, { at: Date.now(), sinceWrite: Date.now() - writtenAt.toMillis() });
      }
    },
    (e) => errors.push(`baseline: ${e.code}`),
  );
  for (let n = 0; n < input.commands; n++) {
    const id = `probe-${n}`;
    const sent = Date.now();
    await setDoc(doc(probe, id), { candidate: "probe", written_at: serverTimestamp() });
    await waitFor(() => arrived.has(id), 30000, "baseline");
    baseline.push(arrived.get(id).at - sent);
    baselineSinceWrite.push(arrived.get(id).sinceWrite);
  }
}

const result = {
  session_id: session.id,
  tenant_id: tenantId,
  paired: paired.length,
  token_claims_confined: tokenClaimsConfined,
  refused: { status: refused.status, code: refused.body?.code ?? null },
  play_seen_by: playSeenBy,
  acknowledged_by: headsets.filter((h) => (heard.get(h.id)?.last_seq ?? 0) >= lastSeq).length,
  command_p50_ms: percentile(all, 50),
  command_p99_ms: percentile(all, 99),
  // Per command, each headset's delay from the tablet's request; and the raw baseline.
  command_ms: rounds.map((r) => r.latencies),
  answered_ms: rounds.map((r) => r.answered),
  baseline_ms: baseline,
  // The same two, counted from the write's commit (the server's time of it) to each arrival.
  command_since_write_ms: rounds.map((r) => r.sinceWrite),
  baseline_since_write_ms: baselineSinceWrite,
};

if (input.mode === "test") {
  // One headset's client presses stop: an event the tablet hears.
  const stopper = headsets[0];
  const pressed = Date.now();
  await addDoc(collection(stopper.db, `${sessionPath}/vr_events`), {
    kind: "stop",
    headset_id: stopper.id,
    film_id: input.film_id,
    at: serverTimestamp(),
  });
  await waitFor(() => stops.some((s) => s.headset_id === stopper.id), 10000, "stop heard");
  result.stop_heard_ms = stops.find((s) => s.headset_id === stopper.id).heard - pressed;
  result.stop_from = stops.find((s) => s.headset_id === stopper.id).headset_id;

  // Another headset vanishes right after a beat: the tablet shows it gone within 15 s.
  const vanished = headsets[1];
  clearInterval(vanished.beat);
  await beat(vanished);
  const left = Date.now();
  await waitFor(() => gone(vanished.id), 20000, "vanished headset gone");
  result.gone_after_ms = Date.now() - left;
  result.vanished = vanished.id;
  result.others_alive = headsets.filter((h) => h !== vanished && !gone(h.id)).length;
  const shown = await call("GET", `/vr_api/sessions/${session.id}`, tabletToken);
  result.server_view = { headsets: shown.body.headsets, connected: shown.body.connected };
}
result.errors = errors;

for (const h of headsets) clearInterval(h.beat);
await Promise.all(apps.map((app) => deleteApp(app)));
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(0);
