import { connect } from "@socktop/connector";

// Pin the agent's self-signed certificate: its cert.pem, copied from the agent
// host ($XDG_DATA_HOME/socktop_agent/tls/cert.pem). Only that certificate is
// trusted, and ws:// becomes wss://.
const agent = await connect("ws://agent.example:8443/ws", { tlsCa: "/etc/socktop/agent-cert.pem" });
console.log(`connected over TLS: ${agent.url}`);
console.log(`${(await agent.metrics()).hostname} answers`);
await agent.close();
