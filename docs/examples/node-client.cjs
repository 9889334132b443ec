// The seed's JavaScript integration example, bounded: a few polls, then exit.
// Usage: node docs/examples/node-client.cjs [ws://localhost:3000/ws] [polls]
const WebSocket = require('ws');
const { gunzipSync } = require('zlib');

const url = process.argv[2] || 'ws://localhost:3000/ws';
const polls = Number(process.argv[3] || 3);

// Decoding the process list needs the schema; @socktop/protocol ships it
// compiled (any protobuf library works with proto/processes.proto).
async function loadDecoder() {
  const { decodeProcessList } = await import('@socktop/protocol');
  return decodeProcessList;
}

loadDecoder().then((decodeProcessList) => {
  const ws = new WebSocket(url);
  let replies = 0;

  ws.on('open', function open() {
    console.log('Connected to socktop_agent');
    for (let i = 0; i < polls; i++) {
      ws.send(JSON.stringify({ type: 'metrics' }));
      ws.send(JSON.stringify({ type: 'disks' }));
      ws.send(JSON.stringify({ type: 'processes' }));
    }
  });

  ws.on('message', function incoming(data, isBinary) {
    if (!isBinary) {
      const json = JSON.parse(data.toString());
      if (Array.isArray(json)) {
        console.log(`Disks: ${json.map((d) => d.name).join(', ')}`);
      } else {
        // Memory fields are null when the agent could not read them (see docs/protocol.md).
        const memory = json.mem_total ? `${(json.mem_used / json.mem_total * 100).toFixed(1)}%` : 'unknown';
        console.log(`CPU: ${json.cpu_total}%, Memory: ${memory} on ${json.hostname}`);
      }
    } else {
      // Process lists may be gzip-compressed: check the magic bytes.
      const bytes = data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data;
      const list = decodeProcessList(new Uint8Array(bytes));
      const top = [...list.processes].sort((a, b) => b.cpu_usage - a.cpu_usage)[0];
      const busiest = top ? `${top.name} (${top.pid}) ${top.cpu_usage.toFixed(1)}%` : 'none';
      console.log(`Processes: ${list.process_count}, busiest: ${busiest}`);
    }
    if (++replies === polls * 3) ws.close();
  });

  ws.on('close', function close() {
    console.log('Disconnected from socktop_agent');
  });

  ws.on('error', function error(err) {
    console.error(`Connection failed: ${err.message}`);
    process.exitCode = 1;
  });
});
