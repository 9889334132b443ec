import { connect } from "@socktop/connector";

const agent = await connect("ws://localhost:3000/ws", {
  token: process.env.SOCKTOP_TOKEN, // the agent's SOCKTOP_TOKEN, sent as ?token=
  requestTimeoutMs: 5_000, // a request without a reply after 5 s fails with TIMEOUT
  connectTimeoutMs: 3_000, // connect() gives up after 3 s
  reconnect: { initialDelayMs: 250, maxDelayMs: 5_000, factor: 2, jitter: 0.2 },
  protocol: "auto", // or "legacy": only the plain-text commands every agent knows
});
console.log(agent.info);
await agent.close();
