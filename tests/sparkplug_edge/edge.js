// A Sparkplug B edge node for Ladder's tests, on Eclipse Tahu's JavaScript client.
//
//   node edge.js '{"url": "mqtt://127.0.0.1:1883", "group": "plant", "node": "press3",
//                  "hostId": "ladder", "metrics": [{"name": "Line/Speed", "alias": 1,
//                  "type": "Double", "value": 1.5}], "devices": {"oven": [...]}}'
//
// Commands on stdin, one JSON object a line:
//   {"cmd": "data", "device": "oven" | null, "metrics": [{"alias": 1, "value": 2.5,
//    "timestamp": 1700000000000}]}   NDATA/DDATA by alias (held back while the host is offline)
//   {"cmd": "skip"}                  lose a message: the next one skips a seq number
//   {"cmd": "death"}                 publish NDEATH and disconnect
//   {"cmd": "ddeath", "device": "oven"}
// When stdin ends, it waits 3 s (for the host's STATE and the held data), then publishes
// NDEATH and exits.
// Events on stdout, one JSON object a line: {"event": "birth"}, {"event": "ncmd", "metrics":
// [...]}, {"event": "state", "online": true, "timestamp": ...}, {"event": "published", "held":
// n}, {"event": "flushed", "count": n}.
//
// Tahu's client follows no primary host (its 3.2 release ignores STATE and would fail to decode
// its JSON as protobuf), so a second plain MQTT connection of this script watches
// spBv1.0/STATE/<hostId> and does the store and forward: data is held while the host is
// offline and published as historical (its own timestamps) once it is online again.
"use strict";
const readline = require("readline");
const mqtt = require("mqtt");
const sparkplug = require("sparkplug-client");

const config = JSON.parse(process.argv[2]);
const types = {};
for (const m of config.metrics) types[`:${m.alias}`] = m.type;
for (const [device, metrics] of Object.entries(config.devices || {})) {
  for (const m of metrics) types[`${device}:${m.alias}`] = m.type;
}
const say = (event) => process.stdout.write(JSON.stringify(event) + "\n");

const client = sparkplug.newClient({
  serverUrl: config.url,
  username: config.username || "edge",
  password: config.password || "edge",
  groupId: config.group,
  edgeNode: config.node,
  clientId: config.clientId || `edge-${config.group}-${config.node}`,
  publishDeath: true,
  version: "spBv1.0",
});

function births() {
  const now = Date.now();
  client.publishNodeBirth({
    timestamp: now,
    metrics: [
      { name: "Node Control/Rebirth", type: "Boolean", value: false },
      ...config.metrics.map((m) => ({ ...m, timestamp: now })),
    ],
  });
  for (const [device, metrics] of Object.entries(config.devices || {})) {
    client.publishDeviceBirth(device, {
      timestamp: now,
      metrics: metrics.map((m) => ({ ...m, timestamp: now })),
    });
  }
  say({ event: "birth" });
}

client.on("birth", births);
client.on("ncmd", (payload) => {
  say({ event: "ncmd", metrics: payload.metrics.map((m) => [m.name, m.value]) });
  if (payload.metrics.some((m) => m.name === "Node Control/Rebirth" && m.value)) births();
});

let hostOnline = !config.hostId;  // with no host to follow, publish at once
let lastState = 0;
const held = [];  // [device, metric] while the host is offline

function publish(device, metrics, historical) {
  const payload = {
    timestamp: Date.now(),
    metrics: metrics.map((m) => ({
      alias: m.alias,
      type: types[`${device || ""}:${m.alias}`],
      value: m.value,
      timestamp: m.timestamp,
      ...(historical ? { isHistorical: true } : {}),
      ...(m.quality !== undefined ? { properties: { Quality: { type: "Int32", value: m.quality } } } : {}),
    })),
  };
  if (device) client.publishDeviceData(device, payload);
  else client.publishNodeData(payload);
}

function flush() {
  const byDevice = new Map();
  for (const [device, metric] of held.splice(0)) {
    if (!byDevice.has(device)) byDevice.set(device, []);
    byDevice.get(device).push(metric);
  }
  let count = 0;
  for (const [device, metrics] of byDevice) {
    publish(device, metrics, true);
    count += metrics.length;
  }
  say({ event: "flushed", count });
}

if (config.hostId) {
  const watcher = mqtt.connect(config.url, { clientId: `${config.clientId || config.node}-state` });
  watcher.on("connect", () => watcher.subscribe(`spBv1.0/STATE/${config.hostId}`, { qos: 1 }));
  watcher.on("message", (topic, message) => {
    const state = JSON.parse(message.toString());
    if (state.timestamp < lastState) return;  // an older host's late Will
    lastState = state.timestamp;
    say({ event: "state", online: state.online, timestamp: state.timestamp });
    const wasOnline = hostOnline;
    hostOnline = state.online;
    if (hostOnline && !wasOnline && held.length) flush();
  });
}

const commands = readline.createInterface({ input: process.stdin });
// Input ended (e.g. `echo ... | node edge.js ...`): publish what is held, then NDEATH and exit.
commands.on("close", () => setTimeout(() => { client.stop(); setTimeout(() => process.exit(0), 200); }, 3000));
commands.on("line", (line) => {
  const command = JSON.parse(line);
  if (command.cmd === "data") {
    if (hostOnline) publish(command.device, command.metrics, false);
    else for (const m of command.metrics) held.push([command.device, m]);
    say({ event: "published", held: held.length });
  } else if (command.cmd === "skip") {
    client.incrementSeqNum();
    say({ event: "skipped" });
  } else if (command.cmd === "ddeath") {
    client.publishDeviceDeath(command.device, { timestamp: Date.now(), metrics: [] });
    say({ event: "ddeath" });
  } else if (command.cmd === "death") {
    client.stop();
    say({ event: "dead" });
    setTimeout(() => process.exit(0), 200);
  }
});
