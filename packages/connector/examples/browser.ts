import { connect } from "@socktop/connector/browser";

// In a page (bundled with Vite, esbuild, …). The browser decides which certificates
// it trusts, so there is no tlsCa here: use wss:// with a certificate the browser accepts.
const agent = await connect("ws://localhost:3000/ws");
console.log(`protocol ${agent.info.protocolVersion}, agent ${agent.info.agentVersion ?? "original"}`);
const { processes } = await agent.processes();
console.log(`${processes.length} processes`);
await agent.close();
