// The app's offline path with the real Firebase JS SDK (issue 16), driven by
// tests/clients/offline/test_offline_app.py: sign in, go offline, queue records in the
// caller's outbox (tenants/{t}/sync_outbox/{uid}-{record}), print "offline" and wait for
// a line on stdin (the test changes the world meanwhile), go online, report what became
// of each queued write, then send the same records to POST /sync as the app does, and
// print one JSON line: {"writes": [...], "sync": {"status": ..., "body": ...}}.
//
// Environment: FIREBASE_MODULES (emulators/node_modules), GOOGLE_CLOUD_PROJECT,
// FIREBASE_AUTH_EMULATOR_HOST, FIRESTORE_EMULATOR_HOST, FUNCTIONS_URL, EMAIL, PASSWORD,
// TENANT, CLIENT_ID, RECORDS (how many), WRITE_TIMEOUT_MS.
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

const env = process.env;
const load = (name) => import(pathToFileURL(join(env.FIREBASE_MODULES, "firebase", name, "dist", "index.mjs")).href);
const { initializeApp } = await load("app");
const { getAuth, connectAuthEmulator, signInWithEmailAndPassword } = await load("auth");
const { initializeFirestore, connectFirestoreEmulator, memoryLocalCache, doc, setDoc, disableNetwork, enableNetwork, terminate } =
  await load("firestore");

const app = initializeApp({ projectId: env.GOOGLE_CLOUD_PROJECT, apiKey: "fake-api-key", authDomain: "localhost" });
const auth = getAuth(app);
connectAuthEmulator(auth, `http://${env.FIREBASE_AUTH_EMULATOR_HOST}`, { disableWarnings: true });
// Node has no IndexedDB: the memory cache queues writes made offline just as the
// persistent one does on a tablet (that one also keeps them across a restart).
const db = initializeFirestore(app, { localCache: memoryLocalCache() });
const [host, port] = env.FIRESTORE_EMULATOR_HOST.split(":");
connectFirestoreEmulator(db, host, Number(port));

const { user } = await signInWithEmailAndPassword(auth, env.EMAIL, env.PASSWORD);
await disableNetwork(db);

const now = Date.now();
const records = Array.from({ length: Number(env.RECORDS) }, (_, n) => ({
  id: `rec${now}x${n}`,
  kind: "log_entry",
  device_time: new Date(now - (Number(env.RECORDS) - n) * 1000),
  client_id: env.CLIENT_ID,
  text: `Offline note ${n}`,
}));
const writes = records.map((record) =>
  setDoc(doc(db, "tenants", env.TENANT, "sync_outbox", `${user.uid}-${record.id}`), { ...record, uid: user.uid }).then(
    () => ({ id: record.id, outcome: "written" }),
    (error) => ({ id: record.id, outcome: "refused", code: error.code }),
  ),
);

console.log("offline");
const lines = createInterface({ input: process.stdin });
await new Promise((resolve) => lines.once("line", resolve));

await enableNetwork(db);
const timeout = new Promise((resolve) => setTimeout(() => resolve("timeout"), Number(env.WRITE_TIMEOUT_MS || 20000)));
const settled = await Promise.race([Promise.all(writes), timeout]);

// The app then hands its records to the API: applied for a member, held for one who lost access.
const token = await user.getIdToken();
const reply = await fetch(`${env.FUNCTIONS_URL}/clients_api/sync`, {
  method: "POST",
  headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
  body: JSON.stringify({ records: records.map((r) => ({ ...r, device_time: r.device_time.toISOString() })) }),
});
const body = await reply.json();
console.log(JSON.stringify({ uid: user.uid, writes: settled, sync: { status: reply.status, body } }));
await terminate(db);
process.exit(0);
