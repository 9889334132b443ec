import { connect } from "@socktop/connector/browser";

// In a page (bundled with Vite, esbuild, …). The browser decides which certificates
// it trusts, so there is no tlsCa here: use wss:// with a certificate the browser accepts.
const agent = await connect("ws://localhost:3000/ws");
const { processes } = await agent.processes();
console.log(`${processes.length} processes`);
// Settled by now: the agent's first frame came before (or was) this reply.
console.log(`protocol ${agent.info.protocolVersion}, agent ${agent.info.agentVersion ?? "original"}`);
await agent.close();
